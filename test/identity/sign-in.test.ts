import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  cookieOf,
  createApiKey,
  createUser,
  injectAs,
  sessionCredential,
  setSetting,
  signInOverHttp,
} from '../helpers/principals.ts';

const strongPassword = 'a sturdy new passphrase 42';

describeEachDatabase('sign-in and sessions', (factory) => {
  it('makes the bootstrap administrator change the one-time password before anything else', async () => {
    const server = await buildIdentityServer(factory);
    const signIn = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: server.bootstrapAdmin,
    });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json()).toMatchObject({ status: 'signed_in', stage: 'password' });
    const restricted = sessionCredential('', cookieOf(signIn, 'coffer_session')!.value, signIn.json().csrfToken);

    const me = await injectAs(server.app, restricted, { method: 'GET', url: '/api/v1/me' });
    expect(me.statusCode).toBe(200);
    expect(me.json().stage).toBe('password');
    const users = await injectAs(server.app, restricted, { method: 'GET', url: `/api/v1/users?buId=${server.rootId}` });
    expect(users.statusCode).toBe(403);
    expect(users.json().type).toBe('urn:coffer:problem:password_change_required');

    const weak = await injectAs(server.app, restricted, {
      method: 'POST',
      url: '/api/v1/auth/change-password',
      payload: { currentPassword: server.bootstrapAdmin.password, newPassword: 'short' },
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().type).toBe('urn:coffer:problem:password_policy');
    // The problem names the field it concerns, so a form can show it there.
    expect(weak.json().field).toBe('newPassword');

    const changed = await injectAs(server.app, restricted, {
      method: 'POST',
      url: '/api/v1/auth/change-password',
      payload: { currentPassword: server.bootstrapAdmin.password, newPassword: strongPassword },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().stage).toBe('full');
    const full = sessionCredential('', cookieOf(changed, 'coffer_session')!.value, changed.json().csrfToken);
    expect(
      (await injectAs(server.app, full, { method: 'GET', url: `/api/v1/users?buId=${server.rootId}` })).statusCode,
    ).toBe(200);
    // The session that changed the password was replaced: its cookie no longer works.
    expect((await injectAs(server.app, restricted, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    // The old password no longer signs in; the new one does.
    const old = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: server.bootstrapAdmin,
    });
    expect(old.statusCode).toBe(401);
    await signInOverHttp(server.app, { email: server.bootstrapAdmin.email, password: strongPassword });
  });

  it('sets HttpOnly SameSite session cookies, Secure over HTTPS, and rotates the session at sign-in', async () => {
    const server = await buildIdentityServer(factory, { env: { COFFER_TRUST_PROXY: '127.0.0.1' } });
    const user = await createUser(server, { buId: server.rootId });
    const credentials = { email: user.email, password: user.password };
    const first = await server.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: credentials });
    const session = cookieOf(first, 'coffer_session')!;
    const csrf = cookieOf(first, 'coffer_csrf')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session.secure).toBeUndefined();
    expect(session.maxAge).toBe(12 * 60 * 60);
    expect(csrf.httpOnly).toBeUndefined();
    expect(csrf.value).toBe(first.json().csrfToken);

    // Signing in again from the same browser ends the old session and issues a new id.
    const second = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: credentials,
      headers: { cookie: `coffer_session=${session.value}`, 'x-forwarded-proto': 'https' },
    });
    const rotated = cookieOf(second, 'coffer_session')!;
    expect(rotated.value).not.toBe(session.value);
    expect(rotated.secure).toBe(true);
    const stale = await server.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: `coffer_session=${session.value}` },
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().type).toBe('urn:coffer:problem:session_expired');
    const fresh = await server.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: `coffer_session=${rotated.value}` },
    });
    expect(fresh.statusCode).toBe(200);
    // Only hashes are stored.
    const stored = await server.database.kysely
      .withTables<{ sessions: { token_hash: string } }>()
      .selectFrom('sessions')
      .select('token_hash')
      .execute();
    expect(stored.map((r) => r.token_hash)).not.toContain(rotated.value);
  });

  it('requires the CSRF header on unsafe requests of cookie sessions, but not for API keys', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId });
    const session = await signInOverHttp(server.app, user);
    const payload = { buId: server.rootId, name: 'Auditors', privileges: ['audit.read'] };
    const cookieOnly = { cookie: session.headers.cookie ?? '' };
    const missing = await server.app.inject({ method: 'POST', url: '/api/v1/roles', payload, headers: cookieOnly });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().type).toBe('urn:coffer:problem:csrf_failed');
    const wrong = await server.app.inject({
      method: 'POST',
      url: '/api/v1/roles',
      payload,
      headers: { ...cookieOnly, 'x-csrf-token': 'not-the-token' },
    });
    expect(wrong.statusCode).toBe(403);
    // Safe methods need no token.
    expect((await server.app.inject({ method: 'GET', url: '/api/v1/me', headers: cookieOnly })).statusCode).toBe(200);
    expect((await injectAs(server.app, session, { method: 'POST', url: '/api/v1/roles', payload })).statusCode).toBe(
      201,
    );
    const key = await createApiKey(server, user);
    const viaKey = await injectAs(server.app, key, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { ...payload, name: 'Other' },
    });
    expect(viaKey.statusCode).toBe(201);
  });

  it('signs out: the cookie is cleared and the session no longer works', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId });
    const session = await signInOverHttp(server.app, user);
    const out = await injectAs(server.app, session, { method: 'POST', url: '/api/v1/auth/sign-out' });
    expect(out.statusCode).toBe(204);
    expect(cookieOf(out, 'coffer_session')?.maxAge).toBe(0);
    expect((await injectAs(server.app, session, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('ends sessions after the inherited lifetime and after two idle hours', async () => {
    const server = await buildIdentityServer(factory);
    await setSetting(server, server.rootId, 'session.lifetimeMinutes', 180);
    const user = await createUser(server, { buId: server.rootId });
    const absolute = await signInOverHttp(server.app, user);
    const idle = await signInOverHttp(server.app, user);
    for (let i = 0; i < 5; i++) {
      server.clock.advance(30 * 60_000);
      expect((await injectAs(server.app, absolute, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    }
    // 150 minutes without a request: the idle limit (two hours) has passed.
    expect((await injectAs(server.app, idle, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    server.clock.advance(31 * 60_000);
    // 181 minutes after sign-in: past the absolute lifetime although it was used all along.
    expect((await injectAs(server.app, absolute, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('answers wrong passwords, unknown accounts and invited users alike', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId });
    const invited = await createUser(server, { buId: server.rootId, status: 'invited' });
    const attempts = [
      { email: user.email, password: 'wrong password' },
      { email: 'nobody@example.test', password: 'whatever' },
      { email: invited.email, password: invited.password },
    ];
    for (const payload of attempts) {
      const response = await server.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ type: 'urn:coffer:problem:invalid_credentials' });
    }
    // Email addresses are case-insensitive.
    await signInOverHttp(server.app, { email: user.email.toUpperCase(), password: user.password });
  });

  it('refuses anonymous calls to non-public routes with 401 problem+json', async () => {
    const server = await buildIdentityServer(factory);
    const response = await server.app.inject({ method: 'GET', url: `/api/v1/users?buId=${server.rootId}` });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const badScheme = await server.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Basic Zm9vOmJhcg==' },
    });
    expect(badScheme.statusCode).toBe(401);
    const badKey = await server.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: 'Bearer coffer_nope' },
    });
    expect(badKey.statusCode).toBe(401);
    expect(badKey.json().type).toBe('urn:coffer:problem:credential_rejected');
  });
});
