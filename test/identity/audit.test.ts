import { expect, it } from 'vitest';
import { appendAudit, systemActor, verifyAuditChain } from '../../src/identity/audit.ts';
import { identityDb } from '../../src/identity/db.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { buildIdentityServer, createSession, createUnit, createUser, injectAs } from '../helpers/principals.ts';

function event(i: number, buId: string | null) {
  return {
    actor: systemActor,
    event: { action: 'test.append', buId, resourceType: 'test', resourceId: String(i), after: { i } },
    at: 1_700_000_000_000 + i,
    address: '192.0.2.1',
    requestId: `r${i}`,
  };
}

describeEachDatabase('audit log', (factory) => {
  it('records changes with actor, unit, before/after and address; queries a subtree with filters and paging', async () => {
    const server = await buildIdentityServer(factory);
    const customer = await createUnit(server, server.rootId);
    const rootAdmin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const customerAdminUser = await createUser(server, { buId: customer });
    const customerAdmin = await createSession(server, customerAdminUser);
    const role = await injectAs(server.app, customerAdmin, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { buId: customer, name: 'Viewers', privileges: ['bu.read'] },
      remoteAddress: '198.51.100.4',
    });
    await injectAs(server.app, customerAdmin, {
      method: 'PATCH',
      url: `/api/v1/roles/${role.json().id}`,
      payload: { name: 'Watchers' },
    });
    await injectAs(server.app, rootAdmin, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { buId: server.rootId, name: 'Top', privileges: ['bu.read'] },
    });

    const own = await injectAs(server.app, customerAdmin, { method: 'GET', url: `/api/v1/audit?buId=${customer}` });
    expect(own.statusCode).toBe(200);
    const entries = own.json().items;
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['role.update', 'role.create']);
    expect(entries[1]).toMatchObject({
      actor: { type: 'user', userId: customerAdminUser.id, apiKeyId: null },
      buId: customer,
      resource: { type: 'role', id: role.json().id },
      after: { name: 'Viewers', privileges: ['bu.read'] },
      address: '198.51.100.4',
    });
    expect(entries[0]).toMatchObject({ before: { name: 'Viewers' }, after: { name: 'Watchers' } });
    // The root sees its whole tree (and unplaced entries such as the bootstrap); the customer cannot look up.
    const all = await injectAs(server.app, rootAdmin, {
      method: 'GET',
      url: `/api/v1/audit?buId=${server.rootId}&limit=2`,
    });
    expect(all.json().items).toHaveLength(2);
    const next = await injectAs(server.app, rootAdmin, {
      method: 'GET',
      url: `/api/v1/audit?buId=${server.rootId}&limit=10&cursor=${all.json().nextCursor}`,
    });
    expect(next.json().items.map((e: { action: string }) => e.action)).toEqual([
      'role.create',
      'installation.bootstrap',
    ]);
    expect(
      (await injectAs(server.app, customerAdmin, { method: 'GET', url: `/api/v1/audit?buId=${server.rootId}` }))
        .statusCode,
    ).toBe(404);

    const filtered = async (query: string) =>
      (
        await injectAs(server.app, rootAdmin, { method: 'GET', url: `/api/v1/audit?buId=${server.rootId}&${query}` })
      ).json().items.length;
    expect(await filtered('action=role.*')).toBe(3);
    expect(await filtered('action=role.update')).toBe(1);
    expect(await filtered(`actorId=${customerAdminUser.id}`)).toBe(2);
    expect(await filtered(`resourceType=role&resourceId=${role.json().id}`)).toBe(2);
    const at = new Date(server.clock.now()).toISOString();
    expect(await filtered(`from=${at}&action=role.*`)).toBe(3);
    expect(await filtered(`to=${at}`)).toBe(0);
  });

  it('exports CSV and JSON, and offers no route that changes entries', async () => {
    const server = await buildIdentityServer(factory);
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    await injectAs(server.app, admin, {
      method: 'POST',
      url: '/api/v1/roles',
      payload: { buId: server.rootId, name: '=HYPERLINK("x")', privileges: ['bu.read'] },
    });
    const csv = await injectAs(server.app, admin, {
      method: 'GET',
      url: `/api/v1/audit/export?buId=${server.rootId}&format=csv`,
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'seq,id,at,actor_type,actor_user_id,actor_api_key_id,actor_name,action,bu_id,resource_type,resource_id,before,after,address,request_id,prev_hash,hash',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('role.create');
    const json = await injectAs(server.app, admin, {
      method: 'GET',
      url: `/api/v1/audit/export?buId=${server.rootId}&format=json`,
    });
    const parsed = JSON.parse(json.body) as { action: string }[];
    expect(parsed.map((e) => e.action)).toEqual(['role.create', 'installation.bootstrap']);

    const spec = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    for (const [path, operations] of Object.entries(spec.paths as Record<string, object>)) {
      if (path.startsWith('/api/v1/audit')) expect(Object.keys(operations)).toEqual(['get']);
    }
  });

  it('detects a changed, a removed and a truncated entry', async () => {
    const server = await buildIdentityServer(factory);
    const db = identityDb(server.database);
    for (let i = 0; i < 6; i++) await appendAudit(db, event(i, server.rootId));
    const admin = await createSession(server, await createUser(server, { buId: server.rootId }));
    const verify = async () =>
      (await injectAs(server.app, admin, { method: 'GET', url: '/api/v1/audit/verify' })).json();
    expect(await verify()).toEqual({ ok: true, checked: 7, headSeq: 7, firstBroken: null });

    await db.updateTable('audit_log').set({ after_json: '{"i":99}' }).where('seq', '=', 4).execute();
    expect(await verify()).toMatchObject({ ok: false, checked: 3, firstBroken: { seq: 4, reason: 'hash_mismatch' } });
    await db.deleteFrom('audit_log').where('seq', '=', 4).execute();
    expect(await verify()).toMatchObject({ ok: false, firstBroken: { seq: 4, reason: 'missing_entry' } });
    await db.deleteFrom('audit_log').where('seq', '>=', 4).execute();
    expect(await verify()).toMatchObject({
      ok: false,
      checked: 3,
      headSeq: 7,
      firstBroken: { seq: 4, reason: 'missing_entry' },
    });

    // Only principals scoped at a root may verify the installation-wide chain.
    const unit = await createUnit(server, server.rootId);
    const local = await createSession(server, await createUser(server, { buId: unit }));
    expect((await injectAs(server.app, local, { method: 'GET', url: '/api/v1/audit/verify' })).statusCode).toBe(404);
  });

  it('never forks the chain under concurrent appends', async () => {
    const server = await buildIdentityServer(factory);
    // PostgreSQL: a pool of separate connections racing; SQLite: one connection per process.
    const other = await server.database.reopen({ poolSize: 8 });
    const handles =
      server.database.dialect === 'postgres'
        ? [identityDb(server.database), identityDb(other)]
        : [identityDb(server.database)];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const db = handles[i % handles.length]!;
        return db.transaction().execute(async (trx) => {
          await appendAudit(trx, event(i, null));
        });
      }),
    );
    const result = await verifyAuditChain(identityDb(server.database));
    expect(result).toEqual({ ok: true, checked: 41, headSeq: 41, firstBroken: null });
  });
});
