import type { Selectable } from 'kysely';
import type { ReportingDb } from './db.ts';
import type { ReportKind, ReportSubscriptionTable } from './tables.ts';

export type SubscriptionRow = Selectable<ReportSubscriptionTable>;

/** Inserts; false when the subscriber already has a subscription of this kind at this unit. */
export async function insertSubscription(db: ReportingDb, row: ReportSubscriptionTable): Promise<boolean> {
  const result = await db
    .insertInto('report_subscriptions')
    .values(row)
    .onConflict((oc) => oc.columns(['bu_id', 'report_kind', 'subscriber_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findSubscription(db: ReportingDb, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('report_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateSubscriptionRow(
  db: ReportingDb,
  id: string,
  values: Partial<Pick<SubscriptionRow, 'enabled' | 'schedule' | 'send_condition' | 'error_definition' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('report_subscriptions').set(values).where('id', '=', id).execute();
}

export async function deleteSubscriptionRow(db: ReportingDb, id: string): Promise<boolean> {
  const result = await db.deleteFrom('report_subscriptions').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Subscriptions set at `buId` itself. */
export async function subscriptionsAt(db: ReportingDb, buId: string, kind?: ReportKind): Promise<SubscriptionRow[]> {
  let query = db.selectFrom('report_subscriptions').selectAll().where('bu_id', '=', buId);
  if (kind) query = query.where('report_kind', '=', kind);
  return query.orderBy('id').execute();
}

/** Subscriptions set at `buId` or any unit above it, each with its distance from `buId`. */
export async function subscriptionsOnPath(db: ReportingDb, buId: string, kind: ReportKind) {
  return db
    .selectFrom('bu_closure')
    .innerJoin('report_subscriptions as s', 's.bu_id', 'bu_closure.ancestor_id')
    .selectAll('s')
    .select('bu_closure.depth as distance')
    .where('bu_closure.descendant_id', '=', buId)
    .where('s.report_kind', '=', kind)
    .orderBy('bu_closure.depth')
    .execute();
}

/**
 * For each of `subscriberKeys`, the units strictly below `buId` where the same subscriber has
 * a subscription of `kind`: those subtrees are covered by that lower subscription instead.
 */
export async function lowerSubscriptionUnits(
  db: ReportingDb,
  buId: string,
  kind: ReportKind,
  subscriberKeys: readonly string[],
): Promise<{ subscriber_key: string; bu_id: string }[]> {
  if (subscriberKeys.length === 0) return [];
  return db
    .selectFrom('bu_closure')
    .innerJoin('report_subscriptions as s', 's.bu_id', 'bu_closure.descendant_id')
    .select(['s.subscriber_key', 's.bu_id'])
    .where('bu_closure.ancestor_id', '=', buId)
    .where('bu_closure.depth', '>', 0)
    .where('s.report_kind', '=', kind)
    .where('s.subscriber_key', 'in', [...subscriberKeys])
    .execute();
}
