import { expect, it } from 'vitest';
import { builtinRoleId, builtinRoles } from '../../src/identity/builtin-roles.ts';
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

describeEachDatabase('roles and explain', (factory) => {
  it('defines custom roles in a unit, usable in its subtree, never granting more than the creator holds', async () => {
    const server = await buildIdentityServer(factory);
    const reseller = await createUnit(server, server.rootId);
    const customer = await createUnit(server, reseller);
    const other = await createUnit(server, server.rootId);
    const delegatedRole = await createRole(server, null, [
      'bu.read',
      'role.read',
      'role.create',
      'role.update',
      'role.delete',
      'billing.read',
    ]);
    const resellerAdmin = await createSession(
      server,
      await createUser(server, { buId: reseller, roleId: delegatedRole }),
    );

    const create = (payload: Record<string, unknown>) =>
      injectAs(server.app, resellerAdmin, { method: 'POST', url: '/api/v1/roles', payload });
    const tooMuch = await create({
      buId: reseller,
      name: 'Billing admin',
      privileges: ['billing.read', 'billing.manage'],
    });
    expect(tooMuch.statusCode).toBe(403);
    expect(tooMuch.json()).toMatchObject({ missing: ['billing.manage'], field: 'privileges' });
    expect(tooMuch.json().detail).toContain('billing.manage');
    const created = await create({
      buId: reseller,
      name: 'Billing viewer',
      description: 'Sees invoices',
      privileges: ['billing.read', 'bu.read'],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ buId: reseller, builtin: false, privileges: ['billing.read', 'bu.read'] });
    const roleId = created.json().id as string;
    const taken = await create({ buId: reseller, name: 'billing VIEWER', privileges: ['bu.read'] });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().field).toBe('name');
    expect((await create({ buId: other, name: 'Elsewhere', privileges: ['bu.read'] })).statusCode).toBe(404);

    const listed = await injectAs(server.app, resellerAdmin, { method: 'GET', url: `/api/v1/roles?buId=${customer}` });
    const names = listed.json().items.map((r: { name: string }) => r.name);
    expect(names).toContain('Billing viewer');
    expect(names).toEqual(expect.arrayContaining(builtinRoles.map((r) => r.name)));
    const rootAdmin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const atOther = await injectAs(server.app, rootAdmin, { method: 'GET', url: `/api/v1/roles?buId=${other}` });
    expect(atOther.json().items.map((r: { name: string }) => r.name)).not.toContain('Billing viewer');

    const renamed = await injectAs(server.app, resellerAdmin, {
      method: 'PATCH',
      url: `/api/v1/roles/${roleId}`,
      payload: { name: 'Invoices', privileges: ['billing.read'] },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Invoices', privileges: ['billing.read'] });
    const builtin = await injectAs(server.app, resellerAdmin, {
      method: 'PATCH',
      url: `/api/v1/roles/${builtinRoleId('read-only')}`,
      payload: { name: 'Mine' },
    });
    expect(builtin.statusCode).toBe(409);

    await createUser(server, { buId: customer, roleId });
    const inUse = await injectAs(server.app, resellerAdmin, { method: 'DELETE', url: `/api/v1/roles/${roleId}` });
    expect(inUse.statusCode).toBe(409);
    const spare = await create({ buId: customer, name: 'Spare', privileges: ['bu.read'] });
    expect(
      (await injectAs(server.app, resellerAdmin, { method: 'DELETE', url: `/api/v1/roles/${spare.json().id}` }))
        .statusCode,
    ).toBe(204);
  });

  it('explains why a user or key may or may not do something on a unit', async () => {
    const server = await buildIdentityServer(factory);
    const a = await createUnit(server, server.rootId);
    const aChild = await createUnit(server, a);
    const b = await createUnit(server, server.rootId);
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const reader = await createUser(server, { buId: a, role: 'read-only' });
    const explain = (url: string) => injectAs(server.app, admin, { method: 'GET', url });

    const allowed = await explain(`/api/v1/users/${reader.id}/explain?privilege=bu.read&buId=${aChild}`);
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json()).toMatchObject({
      allowed: true,
      subtree: { inScope: true, path: [a, aChild] },
      role: { id: builtinRoleId('read-only'), usable: true, holdsPrivilege: true },
    });
    const noPrivilege = await explain(`/api/v1/users/${reader.id}/explain?privilege=bu.update&buId=${a}`);
    expect(noPrivilege.json()).toMatchObject({
      allowed: false,
      subtree: { inScope: true },
      role: { holdsPrivilege: false },
    });
    const outside = await explain(`/api/v1/users/${reader.id}/explain?privilege=bu.read&buId=${b}`);
    expect(outside.json()).toMatchObject({ allowed: false, subtree: { inScope: false, path: [] } });
    expect(outside.json().reasons.join(' ')).toContain('outside');

    // A key holds its role's privileges only while its owner still does.
    const owner = await createUser(server, { buId: a, role: 'operator' });
    const key = await createApiKey(server, owner, { roleId: builtinRoleId('read-only') });
    const viaKey = await explain(`/api/v1/api-keys/${key.id}/explain?privilege=billing.read&buId=${a}`);
    expect(viaKey.json()).toMatchObject({
      allowed: false,
      role: { holdsPrivilege: true },
      ownerRole: { id: builtinRoleId('operator'), holdsPrivilege: false },
    });
    const self = await injectAs(server.app, key, {
      method: 'GET',
      url: `/api/v1/me/explain?privilege=bu.read&buId=${aChild}`,
    });
    expect(self.json()).toMatchObject({ allowed: true, subject: { kind: 'apikey', apiKeyId: key.id } });
    // Asking about a unit outside the caller's own reach is "not found".
    const readerSession = await createSession(server, reader);
    const probe = await injectAs(server.app, readerSession, {
      method: 'GET',
      url: `/api/v1/me/explain?privilege=bu.read&buId=${b}`,
    });
    expect(probe.statusCode).toBe(404);
    const unknown = await explain(`/api/v1/users/${reader.id}/explain?privilege=nope.nothing&buId=${a}`);
    expect(unknown.statusCode).toBe(400);
  });
});
