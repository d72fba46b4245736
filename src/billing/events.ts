import type { Database } from '../platform/index.ts';
import { billingDb } from './db.ts';
import { markEventsDelivered, pendingEvents } from './run-store.ts';

/** A billing event waiting for delivery (`billing.run.posted`, `billing.correction.posted`). */
export interface BillingEvent {
  readonly id: string;
  readonly kind: string;
  readonly buId: string | null;
  readonly payload: unknown;
  readonly createdAt: number;
}

/** Undelivered billing events, oldest first, for the reporting module's webhooks. */
export async function pendingBillingEvents(database: Database, limit = 100): Promise<BillingEvent[]> {
  const rows = await pendingEvents(billingDb(database), Math.max(1, Math.min(limit, 1000)));
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    buId: r.bu_id,
    payload: JSON.parse(r.payload),
    createdAt: Number(r.created_at),
  }));
}

/** Marks events delivered so they are not handed out again. */
export async function markBillingEventsDelivered(
  database: Database,
  ids: readonly string[],
  now: number,
): Promise<void> {
  await markEventsDelivered(billingDb(database), ids, now);
}
