import { expect, it } from 'vitest';
import { builtinRoleId } from '../../src/identity/builtin-roles.ts';
import { privileges } from '../../src/identity/privileges.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import {
  buildIdentityServer,
  createApiKey,
  createRole,
  createSession,
  createUnit,
  createUser,
  injectAs,
} from '../helpers/principals.ts';

describeEachDatabase('API keys', (factory) => {
  it('creates a key shown once, scoped to a subtree and a role, stored hashed', async () => {
    const server = await buildIdentityServer(factory);
    const unit = await createUnit(server, server.rootId);
    const child = await createUnit(server, unit);
    const sibling = await createUnit(server, server.rootId);
    const readsAndKeys = [...privileges.filter((p) => p.endsWith('.read')), 'apikey.create'];
    const owner = await createUser(server, { buId: unit, roleId: await createRole(server, null, readsAndKeys) });
    const session = await createSession(server, owner);
    const create = (payload: Record<string, unknown>) =>
      injectAs(server.app, session, { method: 'POST', url: '/api/v1/api-keys', payload });

    const created = await create({
      name: 'Monitoring',
      buId: child,
      roleId: builtinRoleId('read-only'),
      expiresInDays: 30,
    });
    expect(created.statusCode).toBe(201);
    const { token, apiKey } = created.json();
    expect(token).toMatch(/^coffer_[0-9a-f]{12}_/);
    expect(apiKey).toMatchObject({ buId: child, userId: owner.id, status: 'active', prefix: token.slice(7, 19) });
    expect(JSON.stringify(apiKey)).not.toContain(token.slice(20));
    const stored = await server.database.kysely
      .withTables<{ api_keys: { secret_hash: string } }>()
      .selectFrom('api_keys')
      .select('secret_hash')
      .execute();
    expect(JSON.stringify(stored)).not.toContain(token.slice(20));
    const fetched = await injectAs(server.app, session, { method: 'GET', url: `/api/v1/api-keys/${apiKey.id}` });
    expect(JSON.stringify(fetched.json())).not.toContain(token.slice(20));

    const key = { kind: 'apikey' as const, id: apiKey.id, headers: { authorization: `Bearer ${token}` } };
    expect((await injectAs(server.app, key, { method: 'GET', url: `/api/v1/users?buId=${child}` })).statusCode).toBe(
      200,
    );
    // The key reaches only its subtree, and only what its role grants.
    expect((await injectAs(server.app, key, { method: 'GET', url: `/api/v1/users?buId=${unit}` })).statusCode).toBe(
      404,
    );
    const write = await injectAs(server.app, key, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { buId: child, name: 'x', privileges: ['bu.read'] },
    });
    expect(write.statusCode).toBe(403);

    const tooStrong = await create({ name: 'Admin', buId: child, roleId: builtinRoleId('administrator') });
    expect(tooStrong.statusCode).toBe(403);
    expect(tooStrong.json()).toMatchObject({ type: 'urn:coffer:problem:privilege_escalation', field: 'roleId' });
    expect((await create({ name: 'Far', buId: sibling, roleId: builtinRoleId('read-only') })).statusCode).toBe(404);
    expect(
      (await create({ name: 'Late', buId: child, roleId: builtinRoleId('read-only'), expiresInDays: 5000 })).statusCode,
    ).toBe(400);
    const badCidr = await create({
      name: 'Net',
      buId: child,
      roleId: builtinRoleId('read-only'),
      allowedCidrs: ['10.0.0.0/33'],
    });
    expect(badCidr.statusCode).toBe(400);
  });

  it('stops working when expired, revoked, used from a foreign address, or its owner loses the privilege', async () => {
    const server = await buildIdentityServer(factory);
    const owner = await createUser(server, { buId: server.rootId, role: 'operator' });
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const me = { method: 'GET' as const, url: `/api/v1/users?buId=${server.rootId}` };

    const expiring = await createApiKey(server, owner, { expiresInMs: 60_000 });
    expect((await injectAs(server.app, expiring, me)).statusCode).toBe(200);
    server.clock.advance(60_000);
    const expired = await injectAs(server.app, expiring, me);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().detail).toContain('expired');

    const revocable = await createApiKey(server, owner);
    const revoked = await injectAs(server.app, admin, { method: 'DELETE', url: `/api/v1/api-keys/${revocable.id}` });
    expect(revoked.json().status).toBe('revoked');
    expect((await injectAs(server.app, revocable, me)).statusCode).toBe(401);

    const fenced = await createApiKey(server, owner, { allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    expect((await injectAs(server.app, fenced, { ...me, remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
    expect((await injectAs(server.app, fenced, { ...me, remoteAddress: '::ffff:203.0.113.10' })).statusCode).toBe(200);
    expect((await injectAs(server.app, fenced, { ...me, remoteAddress: '198.51.100.1' })).statusCode).toBe(401);

    const key = await createApiKey(server, owner, { roleId: builtinRoleId('operator') });
    expect((await injectAs(server.app, key, me)).statusCode).toBe(200);
    const demoted = await injectAs(server.app, admin, {
      method: 'PATCH',
      url: `/api/v1/users/${owner.id}`,
      payload: { roleId: builtinRoleId('finance') },
    });
    expect(demoted.statusCode).toBe(200);
    expect((await injectAs(server.app, key, me)).statusCode).toBe(403);
  });

  it('lists keys of a subtree; a key created by a key cannot outlive it', async () => {
    const server = await buildIdentityServer(factory);
    const owner = await createUser(server, { buId: server.rootId });
    const parent = await createApiKey(server, owner, { expiresInMs: 24 * 60 * 60_000 });
    const child = await injectAs(server.app, parent, {
      method: 'POST',
      url: '/api/v1/api-keys',
      payload: { name: 'Derived', buId: server.rootId, roleId: builtinRoleId('read-only'), expiresInDays: 90 },
    });
    expect(child.statusCode).toBe(201);
    expect(Date.parse(child.json().apiKey.expiresAt)).toBe(server.clock.now() + 24 * 60 * 60_000);
    const list = await injectAs(server.app, parent, { method: 'GET', url: `/api/v1/api-keys?buId=${server.rootId}` });
    expect(list.json().items).toHaveLength(2);
  });
});
