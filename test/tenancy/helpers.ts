import { type Kysely, sql } from 'kysely';
import { privileges as catalogue } from '../../src/identity/index.ts';
import {
  type AccessGuard,
  type AuditEvent,
  type Database,
  ForbiddenError,
  ManualClock,
  NotFoundError,
  type Principal,
} from '../../src/platform/index.ts';
import { insertRootUnit, isInSubtree, type TenancyContext, tenancyDb } from '../../src/tenancy/index.ts';
import { createUnit } from '../../src/tenancy/service.ts';

/** Every privilege of the catalogue. */
export const allPrivileges: readonly string[] = catalogue;

type AuditTables = {
  test_audit: {
    seq: number;
    action: string;
    bu_id: string | null;
    resource_id: string | null;
    before: string | null;
    after: string | null;
  };
};

/**
 * An audit table for tests: the recorder below writes to it inside the caller's
 * transaction, so a rolled-back change leaves no entry, as with the real audit log.
 */
export async function createAuditTable(database: Database): Promise<void> {
  const seq =
    database.dialect === 'postgres' ? sql`seq serial primary key` : sql`seq integer primary key autoincrement`;
  await sql`create table if not exists test_audit (${seq}, action text not null, bu_id text, resource_id text, before text, after text)`.execute(
    database.kysely,
  );
}

export interface AuditRow {
  action: string;
  bu_id: string | null;
  resource_id: string | null;
  before: unknown;
  after: unknown;
}

export async function auditEntries(database: Database): Promise<AuditRow[]> {
  const rows = await (database.kysely as unknown as Kysely<AuditTables>)
    .selectFrom('test_audit')
    .selectAll()
    .orderBy('seq')
    .execute();
  return rows.map((r) => ({
    action: r.action,
    bu_id: r.bu_id,
    resource_id: r.resource_id,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
  }));
}

/** A simple access guard: reach by the closure table, privileges from a fixed set. */
export function testAccessGuard(database: Database, principal: Principal): AccessGuard {
  return {
    async require(privilege, buId, what = 'Resource') {
      if (!(await isInSubtree(database, principal.scopeBuId, buId))) throw new NotFoundError(what);
      if (!principal.privileges.has(privilege)) throw new ForbiddenError(`missing privilege ${privilege}`);
    },
    reaches: (buId) => isInSubtree(database, principal.scopeBuId, buId),
    holds: (privilege) => principal.privileges.has(privilege),
  };
}

export function testPrincipal(scopeBuId: string, privileges: Iterable<string> = allPrivileges): Principal {
  return {
    kind: 'user',
    credentialId: `session-${scopeBuId}`,
    userId: `user-${scopeBuId}`,
    scopeBuId,
    roleId: 'test-role',
    privileges: new Set(privileges),
    displayName: 'Test user',
  };
}

/** A request context for a principal scoped at `scopeBuId` (all privileges unless given). */
export function testContext(
  database: Database,
  scopeBuId: string,
  options: { privileges?: Iterable<string>; clock?: ManualClock } = {},
): TenancyContext {
  const principal = testPrincipal(scopeBuId, options.privileges);
  return {
    principal,
    access: testAccessGuard(database, principal),
    audit: {
      async record(event: AuditEvent, trx?: unknown) {
        if (!trx) throw new Error('audit entries must be written in the change’s transaction');
        await (trx as Kysely<AuditTables>)
          .insertInto('test_audit')
          .values({
            action: event.action,
            bu_id: event.buId,
            resource_id: event.resourceId,
            before: event.before ? JSON.stringify(event.before) : null,
            after: event.after ? JSON.stringify(event.after) : null,
          } as AuditTables['test_audit'])
          .execute();
      },
    },
    database,
    clock: options.clock ?? new ManualClock(Date.UTC(2026, 0, 1)),
  };
}

/** A root unit in a fresh transaction; returns its id. */
export async function createRoot(database: Database, name = 'Provider'): Promise<string> {
  const root = await tenancyDb(database)
    .transaction()
    .execute((trx) => insertRootUnit(trx, { name, now: Date.UTC(2026, 0, 1) }));
  return root.id;
}

export interface TreeSpec {
  name: string;
  code?: string;
  children?: TreeSpec[];
}

/** Creates `spec` under `parentId` through the service; returns ids by name. */
export async function buildTree(
  ctx: TenancyContext,
  parentId: string,
  specs: TreeSpec[],
): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const spec of specs) {
    const unit = await createUnit(ctx, { parentId, name: spec.name, code: spec.code ?? null });
    ids[spec.name] = unit.id;
    Object.assign(ids, await buildTree(ctx, unit.id, spec.children ?? []));
  }
  return ids;
}

/** Every tenancy row and audit entry, to prove a refused change wrote nothing. */
export async function snapshot(database: Database): Promise<string> {
  const db = database.kysely as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const tables = ['business_units', 'bu_closure', 'bu_settings', 'bu_brands', 'bu_logos', 'test_audit'];
  const parts: unknown[] = [];
  for (const table of tables) {
    const rows = await db.selectFrom(table).selectAll().execute();
    parts.push(
      rows
        .map((r) => JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))
        .sort(),
    );
  }
  return JSON.stringify(parts);
}

/** A migrated database with an audit table and a root unit; the root's admin context. */
export async function setUp(database: Database): Promise<{ rootId: string; admin: TenancyContext }> {
  await createAuditTable(database);
  const rootId = await createRoot(database);
  return { rootId, admin: testContext(database, rootId) };
}
