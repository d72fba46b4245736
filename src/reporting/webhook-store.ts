import type { Selectable } from 'kysely';
import type { ReportingDb } from './db.ts';
import type { DeliveryStatus, WebhookDeliveryAttemptTable, WebhookDeliveryTable, WebhookTable } from './tables.ts';

export type WebhookRow = Selectable<WebhookTable>;
export type DeliveryRow = Selectable<WebhookDeliveryTable>;
export type AttemptRow = Selectable<WebhookDeliveryAttemptTable>;

export async function insertWebhook(db: ReportingDb, row: WebhookRow): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

export async function findWebhook(db: ReportingDb, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function webhooksAt(db: ReportingDb, buId: string): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('bu_id', '=', buId).orderBy('id').execute();
}

export async function updateWebhookRow(db: ReportingDb, id: string, values: Partial<Omit<WebhookRow, 'id'>>) {
  await db.updateTable('webhooks').set(values).where('id', '=', id).execute();
}

export async function deleteWebhookRow(db: ReportingDb, id: string): Promise<void> {
  await db.deleteFrom('webhooks').where('id', '=', id).execute();
}

/** Queues a delivery unless this webhook already has one with the dedup key; true when inserted. */
export async function insertDelivery(db: ReportingDb, row: DeliveryRow): Promise<boolean> {
  const result = await db
    .insertInto('webhook_deliveries')
    .values(row)
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findDelivery(db: ReportingDb, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Due deliveries of active webhooks (a disabled webhook's deliveries wait for it to be enabled again). */
export async function dueDeliveryIds(db: ReportingDb, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('webhook_id', 'in', (eb) => eb.selectFrom('webhooks').select('id').where('status', '=', 'active'))
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_expires_at', '<', now)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Compare-and-set lease on one due delivery; the row when won. */
export async function leaseDelivery(db: ReportingDb, id: string, owner: string, now: number, until: number) {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'sending', lease_owner: owner, lease_expires_at: until, updated_at: now })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_expires_at', '<', now)]),
      ]),
    )
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return undefined;
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
}

export async function settleDelivery(
  db: ReportingDb,
  id: string,
  owner: string,
  values: {
    status: DeliveryStatus;
    now: number;
    nextAttemptAt?: number;
    statusCode: number | null;
    error: string | null;
  },
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      status: values.status,
      attempts: eb('attempts', '+', 1),
      lease_owner: null,
      lease_expires_at: null,
      last_status_code: values.statusCode,
      last_error: values.error,
      updated_at: values.now,
      ...(values.nextAttemptAt !== undefined ? { next_attempt_at: values.nextAttemptAt } : {}),
      ...(values.status === 'succeeded' ? { delivered_at: values.now } : {}),
    }))
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertAttempt(db: ReportingDb, row: AttemptRow): Promise<void> {
  await db.insertInto('webhook_delivery_attempts').values(row).execute();
}

export async function listDeliveries(
  db: ReportingDb,
  webhookId: string,
  options: { status?: DeliveryStatus; limit: number; cursor?: string },
): Promise<DeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.cursor) query = query.where('id', '<', options.cursor);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

export async function attemptsOf(db: ReportingDb, deliveryId: string): Promise<AttemptRow[]> {
  return db
    .selectFrom('webhook_delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempted_at')
    .orderBy('id')
    .execute();
}

/** Adds one to the failure streak and returns the new count. */
export async function countWebhookFailure(db: ReportingDb, id: string, now: number): Promise<number> {
  await db
    .updateTable('webhooks')
    .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .execute();
  const row = await db.selectFrom('webhooks').select('consecutive_failures').where('id', '=', id).executeTakeFirst();
  return row?.consecutive_failures ?? 0;
}

export async function resetWebhookFailures(db: ReportingDb, id: string, now: number): Promise<void> {
  await db
    .updateTable('webhooks')
    .set({ consecutive_failures: 0, updated_at: now })
    .where('id', '=', id)
    .where('consecutive_failures', '>', 0)
    .execute();
}

/** Disables an active webhook; false when it was not active (someone else disabled it first). */
export async function disableWebhookRow(db: ReportingDb, id: string, now: number, reason: string): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ status: 'disabled', disabled_at: now, disabled_reason: reason, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
