import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess } from '../helpers/processes.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The fingerprint a TLS client sees, accepting any certificate (the test compares it itself). */
function peerFingerprint(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${url}/healthz`, { rejectUnauthorized: false, agent: false }, (res) => {
      resolve((res.socket as TLSSocket).getPeerCertificate().fingerprint256);
      res.resume();
    });
    req.on('error', reject);
    req.end();
  });
}

interface Session {
  cookie: string;
  csrf: string;
}

async function signInAsBootstrapAdmin(base: string, stdout: string): Promise<Session> {
  const password = /One-time password:\s+(\S+)/.exec(stdout)?.[1];
  if (!password) throw new Error('no one-time password printed');
  const signIn = await fetch(`${base}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@localhost', password }),
  });
  expect(signIn.status).toBe(200);
  const first = await sessionOf(signIn);
  const change = await fetch(`${base}/api/v1/auth/change-password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: first.cookie, 'x-csrf-token': first.csrf },
    body: JSON.stringify({ currentPassword: password, newPassword: 'a much better passphrase 42' }),
  });
  expect(change.status).toBe(200);
  return sessionOf(change);
}

async function sessionOf(response: Response): Promise<Session> {
  const body = (await response.json()) as { csrfToken: string };
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie, csrf: body.csrfToken };
}

// Starts real server processes; a start takes seconds on a busy 2-core machine.
describe('certificate rotation through the API', { timeout: 120_000 }, () => {
  it('announces the next certificate to pinned clients, then serves it without a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coffer-rotate-'));
    dirs.push(dataDir);
    const server = await startServerProcess({
      COFFER_DATA_DIR: dataDir,
      COFFER_PORT: '0',
      COFFER_TLS_PORT: '0',
      COFFER_LOG_LEVEL: 'warn',
    });
    try {
      const stdout = server.output().stdout;
      const httpsUrl = /HTTPS on (https:\/\/\S+)/.exec(stdout)?.[1] ?? '';
      const session = await signInAsBootstrapAdmin(server.url, stdout);
      const auth = { cookie: session.cookie, 'x-csrf-token': session.csrf };
      const json = { ...auth, 'content-type': 'application/json' };

      const initial = (await (await fetch(`${server.url}/api/v1/server/certificate`)).json()) as {
        current: { fingerprint256: string };
        next: null;
      };
      expect(initial.next).toBeNull();
      expect(await peerFingerprint(httpsUrl)).toBe(initial.current.fingerprint256);

      const anonymous = await fetch(`${server.url}/api/v1/server/certificate/next`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ generate: true }),
      });
      expect(anonymous.status).toBe(401);

      const bad = await fetch(`${server.url}/api/v1/server/certificate/next`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ certificatePem: 'not a certificate' }),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { detail: string }).detail).toContain('not a PEM certificate');

      const announced = await fetch(`${server.url}/api/v1/server/certificate/next`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ generate: true }),
      });
      expect(announced.status).toBe(200);
      const state = (await announced.json()) as {
        current: { fingerprint256: string };
        next: { fingerprint256: string; activatable: boolean };
      };
      expect(state.next.activatable).toBe(true);
      expect(state.next.fingerprint256).not.toBe(state.current.fingerprint256);
      // Announcing does not change what is served.
      expect(await peerFingerprint(httpsUrl)).toBe(initial.current.fingerprint256);

      const activated = await fetch(`${server.url}/api/v1/server/certificate/activate`, {
        method: 'POST',
        headers: auth,
      });
      expect(activated.status).toBe(200);
      const after = (await activated.json()) as { current: { fingerprint256: string }; next: null };
      expect(after.current.fingerprint256).toBe(state.next.fingerprint256);
      expect(after.next).toBeNull();
      expect(await peerFingerprint(httpsUrl)).toBe(state.next.fingerprint256);

      const again = await fetch(`${server.url}/api/v1/server/certificate/activate`, { method: 'POST', headers: auth });
      expect(again.status).toBe(409);

      const me = JSON.stringify(await (await fetch(`${server.url}/api/v1/me`, { headers: auth })).json());
      const rootId = /"buId":"([^"]+)"/.exec(me)?.[1] ?? /"bu":\{"id":"([^"]+)"/.exec(me)?.[1];
      const audit = await fetch(`${server.url}/api/v1/audit?buId=${rootId}&action=server.certificate.activate`, {
        headers: auth,
      });
      expect(await audit.text()).toContain(state.next.fingerprint256);
    } finally {
      await server.stop();
    }
    // The activated certificate is the one served after a restart.
    const restarted = await startServerProcess({ COFFER_DATA_DIR: dataDir, COFFER_PORT: '0', COFFER_TLS_PORT: '0' });
    const fingerprint = /fingerprint ([0-9A-F:]{95})/.exec(restarted.output().stdout)?.[1];
    await restarted.stop();
    expect(fingerprint).toBeDefined();
  });
});
