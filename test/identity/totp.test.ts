import { expect, it } from 'vitest';
import { codeAtStep, stepAt } from '../../src/identity/totp.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  cookieOf,
  createApiKey,
  createSession,
  createUnit,
  createUser,
  type IdentityTestServer,
  injectAs,
  sessionCredential,
  setSetting,
  signInOverHttp,
  type TestUser,
} from '../helpers/principals.ts';

async function enrol(server: IdentityTestServer, user: TestUser) {
  const session = await signInOverHttp(server.app, user);
  const started = await injectAs(server.app, session, { method: 'POST', url: '/api/v1/me/totp', payload: {} });
  expect(started.statusCode).toBe(200);
  const { secret, otpauthUri, qrCodeSvg } = started.json() as { secret: string; otpauthUri: string; qrCodeSvg: string };
  expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Coffer:.+\?.*secret=/);
  expect(qrCodeSvg).toContain('<svg');
  const confirmed = await injectAs(server.app, session, {
    method: 'POST',
    url: '/api/v1/me/totp/confirm',
    payload: { code: codeAtStep(secret, stepAt(server.clock.now())) },
  });
  expect(confirmed.statusCode).toBe(200);
  return { secret, recoveryCodes: confirmed.json().recoveryCodes as string[], session };
}

async function challenge(server: IdentityTestServer, user: TestUser): Promise<string> {
  const response = await server.app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { email: user.email, password: user.password },
  });
  expect(response.json().status).toBe('mfa_required');
  expect(cookieOf(response, 'coffer_session')).toBeUndefined();
  return response.json().challengeToken;
}

function answer(
  server: IdentityTestServer,
  challengeToken: string,
  proof: { code: string } | { recoveryCode: string },
) {
  return server.app.inject({ method: 'POST', url: '/api/v1/auth/mfa', payload: { challengeToken, ...proof } });
}

describeEachDatabase('TOTP', (factory) => {
  it('accepts codes of steps -1, 0 and +1 once each and refuses replays and steps -2/+2', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId });
    const { secret } = await enrol(server, user);
    server.clock.advance(10 * 30_000);
    const now = stepAt(server.clock.now());

    for (const offset of [-2, 2]) {
      const refused = await answer(server, await challenge(server, user), { code: codeAtStep(secret, now + offset) });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().type).toBe('urn:coffer:problem:invalid_mfa_code');
    }
    for (const offset of [-1, 0, 1]) {
      const code = codeAtStep(secret, now + offset);
      const accepted = await answer(server, await challenge(server, user), { code });
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json().stage).toBe('full');
      const replay = await answer(server, await challenge(server, user), { code });
      expect(replay.statusCode).toBe(401);
    }
    // After +1 was used, the earlier steps count as replays too.
    const older = await answer(server, await challenge(server, user), { code: codeAtStep(secret, now) });
    expect(older.statusCode).toBe(401);
  });

  it('gives ten recovery codes, each usable once, and a challenge only five tries', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId });
    const { recoveryCodes } = await enrol(server, user);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const [first = '', second = ''] = recoveryCodes;
    expect((await answer(server, await challenge(server, user), { recoveryCode: first })).statusCode).toBe(200);
    expect((await answer(server, await challenge(server, user), { recoveryCode: first })).statusCode).toBe(401);
    // Case and dashes do not matter.
    const typed = second.toUpperCase().replaceAll('-', ' ');
    expect((await answer(server, await challenge(server, user), { recoveryCode: typed })).statusCode).toBe(200);
    const me = await injectAs(server.app, await createSession(server, user), { method: 'GET', url: '/api/v1/me' });
    expect(me.json().mfa).toEqual({ enrolled: true, required: false, recoveryCodesLeft: 8 });
    // Codes are stored as keyed hashes only.
    const stored = await server.database.kysely
      .withTables<{ recovery_codes: { code_hash: string } }>()
      .selectFrom('recovery_codes')
      .select('code_hash')
      .execute();
    expect(stored.map((r) => r.code_hash).join()).not.toContain(first.replaceAll('-', ''));

    const token = await challenge(server, user);
    for (let i = 0; i < 5; i++) {
      expect((await answer(server, token, { code: '000000' })).statusCode).toBe(401);
      // Wrong codes count as failed sign-ins; wait out the growing delay between tries.
      server.clock.advance(20_000);
    }
    const exhausted = await answer(server, token, { recoveryCode: recoveryCodes[5] ?? '' });
    expect(exhausted.statusCode).toBe(401);
    expect(exhausted.json().detail).toContain('sign in again');
  });

  it('stores the secret encrypted and needs the password to replace or remove it', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId });
    const { secret, session } = await enrol(server, user);
    const row = await server.database.kysely
      .withTables<{ user_totp: { secret_ciphertext: string } }>()
      .selectFrom('user_totp')
      .select('secret_ciphertext')
      .executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).not.toContain(secret);
    expect(row.secret_ciphertext.startsWith('v1.')).toBe(true);

    const noPassword = await injectAs(server.app, session, { method: 'POST', url: '/api/v1/me/totp', payload: {} });
    expect(noPassword.statusCode).toBe(400);
    const wrongPassword = await injectAs(server.app, session, {
      method: 'DELETE',
      url: '/api/v1/me/totp',
      payload: { password: 'wrong' },
    });
    expect(wrongPassword.statusCode).toBe(401);
    const removed = await injectAs(server.app, session, {
      method: 'DELETE',
      url: '/api/v1/me/totp',
      payload: { password: user.password },
    });
    expect(removed.statusCode).toBe(204);
    // Without TOTP, sign-in gives a session directly again.
    await signInOverHttp(server.app, user);
  });

  it('enforces MFA where the inherited setting requires it: enrol before anything else; API keys are not prompted', async () => {
    const server = await buildIdentityServer(factory);
    const customer = await createUnit(server, server.rootId);
    const department = await createUnit(server, customer);
    await setSetting(server, customer, 'mfa.required', true);
    const user = await createUser(server, { buId: department });
    const key = await createApiKey(server, user);

    const signIn = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: user.email, password: user.password },
    });
    expect(signIn.json()).toMatchObject({ status: 'signed_in', stage: 'enrol' });
    const session = sessionCredential('', cookieOf(signIn, 'coffer_session')!.value, signIn.json().csrfToken);
    const blocked = await injectAs(server.app, session, { method: 'GET', url: `/api/v1/users?buId=${department}` });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().type).toBe('urn:coffer:problem:mfa_enrolment_required');
    expect(
      (await injectAs(server.app, key, { method: 'GET', url: `/api/v1/users?buId=${department}` })).statusCode,
    ).toBe(200);

    const started = await injectAs(server.app, session, { method: 'POST', url: '/api/v1/me/totp', payload: {} });
    const confirmed = await injectAs(server.app, session, {
      method: 'POST',
      url: '/api/v1/me/totp/confirm',
      payload: { code: codeAtStep(started.json().secret, stepAt(server.clock.now())) },
    });
    expect(confirmed.statusCode).toBe(200);
    expect(
      (await injectAs(server.app, session, { method: 'GET', url: `/api/v1/users?buId=${department}` })).statusCode,
    ).toBe(200);

    // Where MFA is required, TOTP cannot be switched off; an administrator can reset it (lost device).
    const remove = await injectAs(server.app, session, {
      method: 'DELETE',
      url: '/api/v1/me/totp',
      payload: { password: user.password },
    });
    expect(remove.statusCode).toBe(409);
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    expect(
      (await injectAs(server.app, admin, { method: 'POST', url: `/api/v1/users/${user.id}/reset-mfa` })).statusCode,
    ).toBe(204);
    expect((await injectAs(server.app, session, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    const again = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: user.email, password: user.password },
    });
    expect(again.json().stage).toBe('enrol');
  });
});
