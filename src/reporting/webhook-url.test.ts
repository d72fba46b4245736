import { describe, expect, it } from 'vitest';
import { checkWebhookUrl } from './webhook-url.ts';

const publicDns = async () => ['93.184.216.34'];

describe('webhook URL checks (SSRF)', () => {
  it('accepts https to public addresses and remembers them', async () => {
    const checked = await checkWebhookUrl('https://hooks.example.com/coffer', {
      allowInsecureLoopback: false,
      resolve: publicDns,
    });
    expect(checked.addresses).toEqual(['93.184.216.34']);
  });

  it.each([
    ['http://hooks.example.com/x', /https/],
    ['ftp://hooks.example.com/x', /https/],
    ['https://user:pw@hooks.example.com/x', /credentials/],
    ['not a url', /absolute URL/],
    ['https://169.254.169.254/latest/meta-data', /metadata/],
    ['https://[fd00:ec2::254]/', /metadata/],
    ['https://10.0.0.8/hook', /private/],
    ['https://192.168.1.1/hook', /private/],
    ['https://172.16.5.5/hook', /private/],
    ['https://127.0.0.1/hook', /loopback/],
    ['https://[::1]/hook', /loopback/],
    ['https://[fe80::1]/hook', /linkLocal/],
    ['https://0.0.0.0/hook', /unspecified/],
    ['https://[::ffff:10.0.0.1]/hook', /private/],
    ['https://100.64.1.1/hook', /carrierGradeNat/],
  ])('refuses %s', async (url, reason) => {
    await expect(checkWebhookUrl(url, { allowInsecureLoopback: false, resolve: publicDns })).rejects.toThrow(reason);
  });

  it('checks every address a name resolves to', async () => {
    const mixed = async () => ['93.184.216.34', '10.1.2.3'];
    await expect(
      checkWebhookUrl('https://rebind.example.com/', { allowInsecureLoopback: false, resolve: mixed }),
    ).rejects.toThrow(/10\.1\.2\.3, a private address/);
    const metadata = async () => ['169.254.169.254'];
    await expect(
      checkWebhookUrl('https://innocent.example.com/', { allowInsecureLoopback: false, resolve: metadata }),
    ).rejects.toThrow(/metadata/);
  });

  it('allows plain http only to loopback, and only when the development setting says so', async () => {
    const loopback = { allowInsecureLoopback: true, resolve: async () => ['127.0.0.1'] };
    await expect(checkWebhookUrl('http://localhost:8080/hook', loopback)).resolves.toBeTruthy();
    await expect(checkWebhookUrl('http://127.0.0.1:9/hook', loopback)).resolves.toBeTruthy();
    await expect(
      checkWebhookUrl('http://hooks.example.com/', { allowInsecureLoopback: true, resolve: publicDns }),
    ).rejects.toThrow(/https/);
    await expect(checkWebhookUrl('https://10.0.0.1/', loopback)).rejects.toThrow(/private/);
  });

  it('refuses a host that does not resolve', async () => {
    const failing = async () => {
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    await expect(
      checkWebhookUrl('https://nowhere.invalid/', { allowInsecureLoopback: false, resolve: failing }),
    ).rejects.toThrow(/cannot be resolved \(ENOTFOUND\)/);
  });
});
