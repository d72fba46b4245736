import { sql } from 'kysely';
import { escapeLike, type IdentityDb } from './db.ts';
import type { AuditChainTable, AuditLogTable } from './tables.ts';

export type AuditRow = AuditLogTable;

/**
 * Takes the next sequence number of the chain. The update locks the chain's single row
 * until the surrounding transaction ends (a row lock on PostgreSQL, the write lock on
 * SQLite), so concurrent appends queue here and never fork the chain.
 */
export async function advanceChain(db: IdentityDb): Promise<AuditChainTable> {
  await db
    .updateTable('audit_chain')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', 1)
    .execute();
  return db.selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
}

export async function insertAuditEntry(db: IdentityDb, row: AuditRow): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
  await db.updateTable('audit_chain').set({ head_hash: row.hash }).where('id', '=', 1).execute();
}

export async function chainHead(db: IdentityDb): Promise<AuditChainTable> {
  return db.selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
}

/** Entries with `seq` above `afterSeq`, ascending (for verification). */
export async function auditEntriesAfter(db: IdentityDb, afterSeq: number, limit: number): Promise<AuditRow[]> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .limit(limit)
    .execute();
}

export interface AuditFilter {
  /** The subtree searched. */
  buId: string;
  /** The scope is a root unit: also entries without a unit or about units since deleted. */
  includeUnplaced: boolean;
  /** Exact action, or a prefix ending in `.*` (e.g. `user.*`). */
  action?: string;
  /** User id or API key id of the actor. */
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  from?: number;
  to?: number;
  /** Newest first: entries with seq below this one. */
  beforeSeq?: number;
  limit: number;
}

export async function queryAudit(db: IdentityDb, filter: AuditFilter): Promise<{ rows: AuditRow[]; more: boolean }> {
  let query = db.selectFrom('audit_log').selectAll();
  query = query.where((eb) => {
    const inSubtree = eb(
      'bu_id',
      'in',
      eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', filter.buId),
    );
    if (!filter.includeUnplaced) return inSubtree;
    return eb.or([
      inSubtree,
      eb('bu_id', 'is', null),
      eb.not(
        eb.exists(eb.selectFrom('business_units').select('id').whereRef('business_units.id', '=', 'audit_log.bu_id')),
      ),
    ]);
  });
  if (filter.action) {
    if (filter.action.endsWith('.*')) {
      const pattern = `${escapeLike(filter.action.slice(0, -1))}%`;
      query = query.where(sql<boolean>`action like ${pattern} escape '\\'`);
    } else {
      query = query.where('action', '=', filter.action);
    }
  }
  if (filter.actorId) {
    const actor = filter.actorId;
    query = query.where((eb) => eb.or([eb('actor_user_id', '=', actor), eb('actor_key_id', '=', actor)]));
  }
  if (filter.resourceType) query = query.where('resource_type', '=', filter.resourceType);
  if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
  const rows = await query
    .orderBy('seq', 'desc')
    .limit(filter.limit + 1)
    .execute();
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}
