import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signPayload, verifySignature } from './signature.ts';

describe('webhook signatures', () => {
  const secret = newWebhookSecret();
  const body = '{"id":"e1","type":"backup.failed"}';

  it('signs "<timestamp>.<body>" with HMAC-SHA256', () => {
    const header = signPayload(secret, 1_700_000_000, body);
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${expected}`);
    expect(verifySignature(secret, header, body, 1_700_000_010)).toBe(true);
  });

  it('refuses a changed body, another secret, a malformed header and a replay outside the window', () => {
    const header = signPayload(secret, 1_700_000_000, body);
    expect(verifySignature(secret, header, `${body} `, 1_700_000_000)).toBe(false);
    expect(verifySignature(newWebhookSecret(), header, body, 1_700_000_000)).toBe(false);
    expect(verifySignature(secret, 'v1=abc', body, 1_700_000_000)).toBe(false);
    expect(verifySignature(secret, undefined, body, 1_700_000_000)).toBe(false);
    expect(verifySignature(secret, header, body, 1_700_000_301)).toBe(false);
    expect(verifySignature(secret, header, body, 1_699_999_699)).toBe(false);
  });
});
