import type { Database } from '../platform/index.ts';
import { newId } from '../platform/index.ts';
import { type UsageDb, usageDb } from './db.ts';
import type { QuotaStateName, UsageEventTable } from './tables.ts';

/** The unit and its ancestors, nearest first. */
export async function pathToRoot(database: Database, buId: string): Promise<string[]> {
  const rows = await usageDb(database)
    .selectFrom('bu_closure')
    .select('ancestor_id')
    .where('descendant_id', '=', buId)
    .orderBy('depth')
    .execute();
  return rows.map((r) => r.ancestor_id);
}

/** Units that store data in their subtree now, plus units last recorded over a threshold. */
export async function quotaCandidates(database: Database): Promise<string[]> {
  const db = usageDb(database);
  const withData = await db
    .selectFrom('usage_bu_current as u')
    .innerJoin('bu_closure as c', 'c.descendant_id', 'u.bu_id')
    .select('c.ancestor_id')
    .distinct()
    .execute();
  const flagged = await db.selectFrom('usage_quota_states').select('bu_id').where('state', '<>', 'ok').execute();
  return [...new Set([...withData.map((r) => r.ancestor_id), ...flagged.map((r) => r.bu_id)])];
}

export interface QuotaStateRow {
  state: QuotaStateName;
  used_bytes: number;
  soft_bytes: number | null;
  hard_bytes: number | null;
  evaluated_at: number;
}

/**
 * Stores a unit's newly evaluated state and returns the previous one ('ok' when never
 * evaluated), holding the row lock on PostgreSQL so two evaluators see each change once.
 */
export async function swapQuotaState(
  trx: UsageDb,
  dialect: Database['dialect'],
  buId: string,
  row: QuotaStateRow,
): Promise<QuotaStateName> {
  const previous = await trx
    .selectFrom('usage_quota_states')
    .select('state')
    .where('bu_id', '=', buId)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  if (previous) await trx.updateTable('usage_quota_states').set(row).where('bu_id', '=', buId).execute();
  else
    await trx
      .insertInto('usage_quota_states')
      .values({ bu_id: buId, ...row })
      .execute();
  return previous?.state ?? 'ok';
}

export async function insertUsageEvent(
  trx: UsageDb,
  event: Omit<UsageEventTable, 'id' | 'delivered_at'>,
): Promise<void> {
  await trx
    .insertInto('usage_events')
    .values({ id: newId(event.created_at), delivered_at: null, ...event })
    .execute();
}

export async function undeliveredEvents(database: Database, limit: number): Promise<UsageEventTable[]> {
  return usageDb(database)
    .selectFrom('usage_events')
    .selectAll()
    .where('delivered_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function setEventsDelivered(database: Database, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await usageDb(database)
    .updateTable('usage_events')
    .set({ delivered_at: now })
    .where('id', 'in', [...ids])
    .where('delivered_at', 'is', null)
    .execute();
}
