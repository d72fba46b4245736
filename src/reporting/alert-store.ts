import type { Selectable } from 'kysely';
import type { ReportingDb } from './db.ts';
import type {
  AlertIncidentTable,
  AlertSubscriptionTable,
  MaintenanceWindowTable,
  ReportingEventTable,
  WebhookTable,
} from './tables.ts';

export type EventRow = Selectable<ReportingEventTable>;
export type IncidentRow = Selectable<AlertIncidentTable>;
export type AlertSubscriptionRow = Selectable<AlertSubscriptionTable>;
export type MaintenanceWindowRow = Selectable<MaintenanceWindowTable>;

export async function findEvent(db: ReportingDb, id: string): Promise<EventRow | undefined> {
  return db.selectFrom('reporting_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Marks the event processed; false when another worker already did (compare-and-set). */
export async function claimEventProcessed(db: ReportingDb, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('reporting_events')
    .set({ processed_at: now })
    .where('id', '=', id)
    .where('processed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Events not processed yet that were stored before `before` (a sweep for lost jobs). */
export async function unprocessedEventIds(db: ReportingDb, before: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('reporting_events')
    .select('id')
    .where('processed_at', 'is', null)
    .where('created_at', '<', before)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

export async function openIncidentsOf(db: ReportingDb, subjectId: string, kinds: readonly string[]) {
  if (kinds.length === 0) return [];
  return db
    .selectFrom('alert_incidents')
    .selectAll()
    .where('subject_id', '=', subjectId)
    .where('status', '=', 'open')
    .where('kind', 'in', [...kinds])
    .execute();
}

export async function openIncidentSubjects(db: ReportingDb, kind: string): Promise<string[]> {
  const rows = await db
    .selectFrom('alert_incidents')
    .select('subject_id')
    .where('kind', '=', kind)
    .where('status', '=', 'open')
    .execute();
  return rows.map((r) => r.subject_id);
}

export async function insertIncident(db: ReportingDb, row: IncidentRow): Promise<void> {
  await db.insertInto('alert_incidents').values(row).execute();
}

/** Applies changes to an open incident; false when it is no longer open (another worker got there). */
export async function updateOpenIncident(
  db: ReportingDb,
  id: string,
  values: Partial<Omit<IncidentRow, 'id'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('alert_incidents')
    .set(values)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function listIncidents(
  db: ReportingDb,
  buId: string,
  options: { status?: 'open' | 'resolved'; limit: number; cursor?: string },
): Promise<IncidentRow[]> {
  let query = db
    .selectFrom('alert_incidents')
    .selectAll()
    .where('bu_id', 'in', (eb) => eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', buId));
  if (options.status) query = query.where('status', '=', options.status);
  if (options.cursor) query = query.where('id', '<', options.cursor);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

/** Whether a maintenance window set at `buId` or an ancestor covers instant `at`. */
export async function isSilenced(db: ReportingDb, buId: string, at: number): Promise<boolean> {
  const row = await db
    .selectFrom('bu_closure')
    .innerJoin('maintenance_windows as w', 'w.bu_id', 'bu_closure.ancestor_id')
    .select('w.id')
    .where('bu_closure.descendant_id', '=', buId)
    .where('w.starts_at', '<=', at)
    .where('w.ends_at', '>', at)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Alert subscriptions at `buId` or above, nearest first, each with its distance. */
export async function alertSubscriptionsOnPath(db: ReportingDb, buId: string) {
  return db
    .selectFrom('bu_closure')
    .innerJoin('alert_subscriptions as s', 's.bu_id', 'bu_closure.ancestor_id')
    .selectAll('s')
    .select('bu_closure.depth as distance')
    .where('bu_closure.descendant_id', '=', buId)
    .orderBy('bu_closure.depth')
    .execute();
}

/** Active webhooks set at `buId` or above. */
export async function webhooksOnPath(db: ReportingDb, buId: string): Promise<Selectable<WebhookTable>[]> {
  return db
    .selectFrom('bu_closure')
    .innerJoin('webhooks as h', 'h.bu_id', 'bu_closure.ancestor_id')
    .selectAll('h')
    .where('bu_closure.descendant_id', '=', buId)
    .where('h.status', '=', 'active')
    .execute();
}

export async function insertAlertSubscription(db: ReportingDb, row: AlertSubscriptionRow): Promise<boolean> {
  const result = await db
    .insertInto('alert_subscriptions')
    .values(row)
    .onConflict((oc) => oc.columns(['bu_id', 'subscriber_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findAlertSubscription(db: ReportingDb, id: string) {
  return db.selectFrom('alert_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function alertSubscriptionsAt(db: ReportingDb, buId: string): Promise<AlertSubscriptionRow[]> {
  return db.selectFrom('alert_subscriptions').selectAll().where('bu_id', '=', buId).orderBy('id').execute();
}

export async function updateAlertSubscriptionRow(
  db: ReportingDb,
  id: string,
  values: Partial<Pick<AlertSubscriptionRow, 'event_types' | 'enabled' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('alert_subscriptions').set(values).where('id', '=', id).execute();
}

export async function deleteAlertSubscriptionRow(db: ReportingDb, id: string): Promise<void> {
  await db.deleteFrom('alert_subscriptions').where('id', '=', id).execute();
}

export async function insertMaintenanceWindow(db: ReportingDb, row: MaintenanceWindowRow): Promise<void> {
  await db.insertInto('maintenance_windows').values(row).execute();
}

export async function findMaintenanceWindow(db: ReportingDb, id: string) {
  return db.selectFrom('maintenance_windows').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Windows set at `buId` that end after `after`, soonest first. */
export async function maintenanceWindowsAt(db: ReportingDb, buId: string, after: number) {
  return db
    .selectFrom('maintenance_windows')
    .selectAll()
    .where('bu_id', '=', buId)
    .where('ends_at', '>', after)
    .orderBy('starts_at')
    .execute();
}

export async function deleteMaintenanceWindowRow(db: ReportingDb, id: string): Promise<void> {
  await db.deleteFrom('maintenance_windows').where('id', '=', id).execute();
}
