import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig } from '../../src/platform/index.ts';
import { buildServer } from '../../src/server/index.ts';
import { createSelfSigned } from '../../src/server/tls.ts';
import { databaseFactories } from '../helpers/databases.ts';
import { runCoffer, startServerProcess } from '../helpers/processes.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-tls-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface TlsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  fingerprint: string;
  body: string;
}

/** GET over HTTPS trusting exactly `ca` (certificate pinning as an agent does it). */
function getPinned(
  url: string,
  ca: string,
  options: { agent?: Agent; maxVersion?: 'TLSv1.1' | 'TLSv1.3' } = {},
): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        ca,
        servername: 'localhost',
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion, minVersion: 'TLSv1' as const } : {}),
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            fingerprint,
            body,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function readCert(stdout: string): string {
  const match = /fingerprint ([0-9A-F:]{95})/.exec(stdout);
  if (!match?.[1]) throw new Error(`no fingerprint in: ${stdout}`);
  return match[1];
}

// Each test starts one or two real server processes; on a busy 2-core machine a start takes seconds.
describe('HTTPS', { timeout: 120_000 }, () => {
  it('generates a self-signed certificate on first start, prints its fingerprint, and keeps it', async () => {
    const dataDir = tempDir();
    const env = { COFFER_DATA_DIR: dataDir, COFFER_PORT: '0', COFFER_TLS_PORT: '0', COFFER_LOG_LEVEL: 'warn' };
    const first = await startServerProcess(env);
    const httpsUrl = /HTTPS on (https:\/\/\S+)/.exec(first.output().stdout)?.[1];
    expect(httpsUrl).toBeDefined();
    const firstOut = await first.stop();
    const fingerprint = readCert(firstOut.stdout);
    expect(firstOut.stdout).toContain(`Server certificate:  SHA-256 ${fingerprint}`);
    const second = await startServerProcess(env);
    const secondOut = await second.stop();
    expect(readCert(secondOut.stdout)).toBe(fingerprint);
  });

  it('serves TLS 1.2+ with HSTS, refuses older TLS, and disconnects plain HTTP on the HTTPS port', async () => {
    const dataDir = tempDir();
    const { cert, key } = await createSelfSigned(Date.now());
    writeFileSync(join(dataDir, 'a.crt'), cert);
    writeFileSync(join(dataDir, 'a.key'), key);
    const server = await startServerProcess({
      COFFER_DATA_DIR: dataDir,
      COFFER_PORT: '0',
      COFFER_TLS_PORT: '0',
      COFFER_TLS_CERT: join(dataDir, 'a.crt'),
      COFFER_TLS_KEY: join(dataDir, 'a.key'),
      COFFER_LOG_LEVEL: 'warn',
    });
    try {
      const httpsUrl = /HTTPS on (https:\/\/\S+)/.exec(server.output().stdout)?.[1] ?? '';
      const response = await getPinned(`${httpsUrl}/readyz`, cert);
      expect(response.status).toBe(200);
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
      // Plain HTTP responses never carry HSTS.
      const plain = await fetch(`${server.url}/healthz`);
      expect(plain.headers.get('strict-transport-security')).toBeNull();

      await expect(getPinned(`${httpsUrl}/readyz`, cert, { maxVersion: 'TLSv1.1' })).rejects.toThrow();

      const port = Number(new URL(httpsUrl).port);
      const refusal = await new Promise<string>((resolve, reject) => {
        const socket = netConnect(port, '127.0.0.1', () => socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n'));
        let text = '';
        socket.on('data', (c: Buffer) => {
          text += c.toString();
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      // No HTTP answer in clear text: the handshake fails and the connection closes.
      expect(refusal).not.toMatch(/^HTTP\/1\.1 200/);
      expect((await getPinned(`${httpsUrl}/readyz`, cert)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('refuses a man-in-the-middle certificate on the pinned address', async () => {
    const dataDir = tempDir();
    const genuine = await createSelfSigned(Date.now());
    const impostor = await createSelfSigned(Date.now());
    writeFileSync(join(dataDir, 'i.crt'), impostor.cert);
    writeFileSync(join(dataDir, 'i.key'), impostor.key);
    const server = await startServerProcess({
      COFFER_DATA_DIR: dataDir,
      COFFER_PORT: '0',
      COFFER_TLS_PORT: '0',
      COFFER_TLS_CERT: join(dataDir, 'i.crt'),
      COFFER_TLS_KEY: join(dataDir, 'i.key'),
      COFFER_LOG_LEVEL: 'warn',
    });
    try {
      const httpsUrl = /HTTPS on (https:\/\/\S+)/.exec(server.output().stdout)?.[1] ?? '';
      await expect(getPinned(`${httpsUrl}/readyz`, genuine.cert)).rejects.toThrow(/self.signed|certificate/i);
    } finally {
      await server.stop();
    }
  });

  it('reloads the certificate on SIGHUP without dropping open connections', async () => {
    const dataDir = tempDir();
    const a = await createSelfSigned(Date.now());
    const b = await createSelfSigned(Date.now());
    const certPath = join(dataDir, 's.crt');
    const keyPath = join(dataDir, 's.key');
    writeFileSync(certPath, a.cert);
    writeFileSync(keyPath, a.key);
    const server = await startServerProcess({
      COFFER_DATA_DIR: dataDir,
      COFFER_PORT: '0',
      COFFER_TLS_PORT: '0',
      COFFER_TLS_CERT: certPath,
      COFFER_TLS_KEY: keyPath,
      COFFER_LOG_LEVEL: 'warn',
    });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1, ca: a.cert });
    try {
      const httpsUrl = /HTTPS on (https:\/\/\S+)/.exec(server.output().stdout)?.[1] ?? '';
      const before = await getPinned(`${httpsUrl}/healthz`, a.cert, { agent: keepAlive });
      writeFileSync(certPath, b.cert);
      writeFileSync(keyPath, b.key);
      server.child.kill('SIGHUP');
      await expect.poll(() => server.output().stderr, { timeout: 10_000 }).toContain('certificate reloaded');
      const fresh = await getPinned(`${httpsUrl}/healthz`, b.cert);
      expect(fresh.fingerprint).not.toBe(before.fingerprint);
      // The kept-alive connection still speaks with the old certificate.
      const reused = await getPinned(`${httpsUrl}/healthz`, a.cert, { agent: keepAlive });
      expect(reused.status).toBe(200);
      expect(reused.fingerprint).toBe(before.fingerprint);
    } finally {
      keepAlive.destroy();
      await server.stop();
    }
  });

  describe('bad certificate settings fail with one line', () => {
    async function expectFailure(env: NodeJS.ProcessEnv, pattern: RegExp) {
      const result = await runCoffer(['server'], { COFFER_PORT: '0', COFFER_TLS_PORT: '0', ...env });
      expect(result.code).not.toBe(0);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    }

    it('a missing certificate file', async () => {
      const dir = tempDir();
      await expectFailure(
        { COFFER_DATA_DIR: dir, COFFER_TLS_CERT: join(dir, 'none.crt'), COFFER_TLS_KEY: join(dir, 'none.key') },
        /^coffer: COFFER_TLS_CERT: cannot read the certificate .*none\.crt \(ENOENT\)$/,
      );
    });

    it('a key that does not match the certificate', async () => {
      const dir = tempDir();
      const a = await createSelfSigned(Date.now());
      const b = await createSelfSigned(Date.now());
      writeFileSync(join(dir, 'a.crt'), a.cert);
      writeFileSync(join(dir, 'b.key'), b.key);
      await expectFailure(
        { COFFER_DATA_DIR: dir, COFFER_TLS_CERT: join(dir, 'a.crt'), COFFER_TLS_KEY: join(dir, 'b.key') },
        /^coffer: COFFER_TLS_KEY: the private key does not match the certificate/,
      );
    });

    it('an expired certificate', async () => {
      const dir = tempDir();
      const old = await createSelfSigned(Date.now() - 900 * 86_400_000);
      writeFileSync(join(dir, 'old.crt'), old.cert);
      writeFileSync(join(dir, 'old.key'), old.key);
      await expectFailure(
        { COFFER_DATA_DIR: dir, COFFER_TLS_CERT: join(dir, 'old.crt'), COFFER_TLS_KEY: join(dir, 'old.key') },
        /^coffer: COFFER_TLS_CERT: the certificate expired on /,
      );
    });

    it('only one of certificate and key', async () => {
      const dir = tempDir();
      await expectFailure(
        { COFFER_DATA_DIR: dir, COFFER_TLS_CERT: join(dir, 'x.crt') },
        /^coffer: COFFER_TLS_CERT and COFFER_TLS_KEY must be set together/,
      );
    });
  });
});

describe('trusted proxies', { timeout: 120_000 }, () => {
  const factory = databaseFactories[0];
  it('honours X-Forwarded-Proto only from a configured proxy address', async () => {
    if (!factory) throw new Error('no database factory');
    const database = await factory.create();
    const log = createLogger({ level: 'silent' });
    const untrusted = await buildServer({ config: loadConfig({ COFFER_DATA_DIR: tempDir() }), database, log });
    const trusted = await buildServer({
      config: loadConfig({ COFFER_DATA_DIR: tempDir(), COFFER_TRUST_PROXY: '10.1.2.3, 192.168.0.0/16' }),
      database,
      log,
    });
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
    const ignored = await untrusted.inject({ url: '/healthz', headers: forwarded, remoteAddress: '10.1.2.3' });
    expect(ignored.headers['strict-transport-security']).toBeUndefined();
    const fromStranger = await trusted.inject({ url: '/healthz', headers: forwarded, remoteAddress: '10.9.9.9' });
    expect(fromStranger.headers['strict-transport-security']).toBeUndefined();
    const fromProxy = await trusted.inject({ url: '/healthz', headers: forwarded, remoteAddress: '192.168.4.4' });
    expect(fromProxy.headers['strict-transport-security']).toBe('max-age=31536000');
    await untrusted.close();
    await trusted.close();
  });

  it('refuses a malformed proxy list with one clear message', () => {
    expect(() => loadConfig({ COFFER_TRUST_PROXY: '10.0.0.1, not-an-ip' })).toThrow(
      /COFFER_TRUST_PROXY="10.0.0.1, not-an-ip" must be a comma-separated list of IP addresses or CIDR ranges \(bad entry "not-an-ip"\)/,
    );
  });
});
