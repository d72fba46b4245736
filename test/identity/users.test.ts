import { expect, it } from 'vitest';
import { builtinRoleId } from '../../src/identity/builtin-roles.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  createApiKey,
  createRole,
  createSession,
  createUnit,
  createUser,
  injectAs,
  signInOverHttp,
} from '../helpers/principals.ts';

const goodPassword = 'plenty long passphrase 7';

describeEachDatabase('users', (factory) => {
  it("ends a disabled user's sessions and API keys on the next request; enabling does not revive keys", async () => {
    const server = await buildIdentityServer(factory);
    const unit = await createUnit(server, server.rootId);
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const user = await createUser(server, { buId: unit, role: 'operator' });
    const session = await signInOverHttp(server.app, user);
    const key = await createApiKey(server, user);
    for (const credential of [session, key]) {
      expect((await injectAs(server.app, credential, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
    }
    const disabled = await injectAs(server.app, admin, { method: 'POST', url: `/api/v1/users/${user.id}/disable` });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json().status).toBe('disabled');
    for (const credential of [session, key]) {
      expect((await injectAs(server.app, credential, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    }
    const signIn = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: user.email, password: user.password },
    });
    expect(signIn.statusCode).toBe(401);

    const enabled = await injectAs(server.app, admin, { method: 'POST', url: `/api/v1/users/${user.id}/enable` });
    expect(enabled.json().status).toBe('active');
    expect((await injectAs(server.app, key, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
    await signInOverHttp(server.app, user);

    const audit = await injectAs(server.app, admin, {
      method: 'GET',
      url: `/api/v1/audit?buId=${unit}&action=user.disable`,
    });
    expect(audit.json().items[0].after).toEqual({ status: 'disabled', sessionsEnded: 1, apiKeysRevoked: 1 });
  });

  it('invites with a one-time, expiring link that sets the password', async () => {
    const server = await buildIdentityServer(factory);
    const adminUser = await createUser(server, { buId: server.rootId });
    let admin = await createSession(server, adminUser);
    const invite = (email: string) =>
      injectAs(server.app, admin, {
        method: 'POST',
        url: '/api/v1/users/invitations',
        payload: { buId: server.rootId, email, displayName: 'New Person', roleId: builtinRoleId('read-only') },
      });
    const invited = await invite('new.person@example.test');
    expect(invited.statusCode).toBe(201);
    const { token, user } = invited.json();
    expect(user.status).toBe('invited');
    const accept = (password: string, t = token) =>
      server.app.inject({ method: 'POST', url: '/api/v1/auth/invitations/accept', payload: { token: t, password } });

    const weak = await accept('short');
    expect(weak.statusCode).toBe(400);
    expect(weak.json()).toMatchObject({ type: 'urn:coffer:problem:password_policy', field: 'password' });
    const accepted = await accept(goodPassword);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json().status).toBe('active');
    expect((await accept(goodPassword)).statusCode).toBe(410);
    await signInOverHttp(server.app, { email: 'new.person@example.test', password: goodPassword });

    // A link expires after seven days; a new link replaces the old one.
    const second = await invite('later@example.test');
    const secondUser = second.json().user.id as string;
    const resent = await injectAs(server.app, admin, { method: 'POST', url: `/api/v1/users/${secondUser}/invitation` });
    expect(resent.statusCode).toBe(201);
    expect((await accept(goodPassword, second.json().token)).statusCode).toBe(410);
    server.clock.advance(7 * 24 * 60 * 60_000 + 1);
    expect((await accept(goodPassword, resent.json().token)).statusCode).toBe(410);
    admin = await createSession(server, adminUser);
    const taken = await invite('later@example.test');
    expect(taken.statusCode).toBe(409);
    expect(taken.json().field).toBe('email');
  });

  it('assigns only roles usable at the unit and within the caller privileges', async () => {
    const server = await buildIdentityServer(factory);
    const a = await createUnit(server, server.rootId);
    const b = await createUnit(server, server.rootId);
    const aChild = await createUnit(server, a);
    const roleInA = await createRole(server, a, ['bu.read', 'user.read']);
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const create = (buId: string, roleId: string, credential = admin) =>
      injectAs(server.app, credential, {
        method: 'POST',
        url: '/api/v1/users',
        payload: { buId, email: `u${Math.random()}@example.test`, displayName: 'U', roleId, password: goodPassword },
      });
    expect((await create(aChild, roleInA)).statusCode).toBe(201);
    const elsewhere = await create(b, roleInA);
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().detail).toContain('cannot be used');

    const managerRole = await createRole(server, null, ['bu.read', 'user.read', 'user.create', 'user.update']);
    const manager = await createSession(server, await createUser(server, { buId: a, roleId: managerRole }));
    const escalation = await create(a, builtinRoleId('administrator'), manager);
    expect(escalation.statusCode).toBe(403);
    expect(escalation.json()).toMatchObject({ type: 'urn:coffer:problem:privilege_escalation', field: 'roleId' });
    expect((await create(a, roleInA, manager)).statusCode).toBe(201);
    // Outside the manager's subtree the unit does not exist for it.
    expect((await create(b, roleInA, manager)).statusCode).toBe(404);
    // Nor can it change an administrator in its subtree, or its own role.
    const strong = await createUser(server, { buId: a });
    const demote = await injectAs(server.app, manager, {
      method: 'POST',
      url: `/api/v1/users/${strong.id}/disable`,
    });
    expect(demote.statusCode).toBe(403);
  });

  it('lists users of a subtree with paging and filters, and deletes users', async () => {
    const server = await buildIdentityServer(factory);
    const unit = await createUnit(server, server.rootId);
    const child = await createUnit(server, unit);
    const admin = await createUser(server, { buId: unit });
    const session = await createSession(server, admin);
    for (let i = 0; i < 4; i++) await createUser(server, { buId: child, role: 'read-only' });
    await createUser(server, { buId: server.rootId });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/v1/users?buId=${unit}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await injectAs(server.app, session, { method: 'GET', url: query });
      expect(page.statusCode).toBe(200);
      seen.push(...page.json().items.map((u: { id: string }) => u.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    const own = await injectAs(server.app, session, { method: 'GET', url: `/api/v1/users?buId=${unit}&subtree=false` });
    expect(own.json().items).toHaveLength(1);
    const readOnly = await injectAs(server.app, session, {
      method: 'GET',
      url: `/api/v1/users?buId=${unit}&roleId=${builtinRoleId('read-only')}`,
    });
    expect(readOnly.json().items).toHaveLength(4);

    const victim = seen.find((id) => id !== admin.id) ?? '';
    expect((await injectAs(server.app, session, { method: 'DELETE', url: `/api/v1/users/${victim}` })).statusCode).toBe(
      204,
    );
    expect((await injectAs(server.app, session, { method: 'GET', url: `/api/v1/users/${victim}` })).statusCode).toBe(
      404,
    );
    const self = await injectAs(server.app, session, { method: 'DELETE', url: `/api/v1/users/${admin.id}` });
    expect(self.statusCode).toBe(409);
  });
});
