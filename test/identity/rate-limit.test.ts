import { expect, it } from 'vitest';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildIdentityServer, createSession, createUser, injectAs, signInOverHttp } from '../helpers/principals.ts';

describeEachDatabase('sign-in throttling', (factory) => {
  it('slows repeated failures down, locks the account, and lets time or an administrator lift the lock', async () => {
    const server = await buildIdentityServer(factory);
    const user = await createUser(server, { buId: server.rootId, role: 'read-only' });
    const admin = await createUser(server, { buId: server.rootId });
    const wrong = { email: user.email, password: 'not the password' };
    const attempt = (payload: { email: string; password: string }) =>
      server.app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload });

    for (let i = 0; i < 3; i++) expect((await attempt(wrong)).statusCode).toBe(401);
    // Fourth attempt at once: a delay applies (even with the right password).
    const throttled = await attempt({ email: user.email, password: user.password });
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json()).toMatchObject({ type: 'urn:coffer:problem:sign_in_throttled' });
    expect(throttled.json().retryAfterSeconds).toBe(1);

    // Delays grow: 1 s, 2 s, 4 s, ...
    const delays: number[] = [];
    for (let failures = 3; failures < 10; failures++) {
      const blocked = await attempt(wrong);
      expect(blocked.statusCode).toBe(429);
      delays.push(blocked.json().retryAfterSeconds);
      server.clock.advance(blocked.json().retryAfterSeconds * 1000);
      expect((await attempt(wrong)).statusCode).toBe(401);
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 64]);
    const locked = await attempt({ email: user.email, password: user.password });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ type: 'urn:coffer:problem:account_locked', retryAfterSeconds: 900 });

    // The lockout ends by time...
    server.clock.advance(15 * 60_000);
    await signInOverHttp(server.app, user);

    // ...or when an administrator lifts it.
    for (let i = 0; i < 10; i++) {
      await attempt(wrong);
      server.clock.advance(5 * 60_000);
    }
    expect((await attempt({ email: user.email, password: user.password })).json().type).toBe(
      'urn:coffer:problem:account_locked',
    );
    const adminSession = await createSession(server, admin);
    const unlock = await injectAs(server.app, adminSession, { method: 'POST', url: `/api/v1/users/${user.id}/unlock` });
    expect(unlock.statusCode).toBe(200);
    expect(unlock.json()).toEqual({ wasLocked: true });
    await signInOverHttp(server.app, user);

    const audit = await injectAs(server.app, adminSession, {
      method: 'GET',
      url: `/api/v1/audit?buId=${server.rootId}&action=auth.lockout`,
    });
    expect(audit.json().items.length).toBe(2);
  });

  it('throttles one address guessing across many accounts', async () => {
    const server = await buildIdentityServer(factory);
    const victim = await createUser(server, { buId: server.rootId });
    for (let i = 0; i < 20; i++) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { email: `guess${i}@example.test`, password: 'guess' },
      });
      expect(response.statusCode).toBe(401);
    }
    const blocked = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: victim.email, password: victim.password },
    });
    expect(blocked.statusCode).toBe(429);
    // Another address is not affected.
    const elsewhere = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: victim.email, password: victim.password },
      remoteAddress: '192.0.2.7',
    });
    expect(elsewhere.statusCode).toBe(200);
  });
});
