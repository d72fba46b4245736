import type { Database } from '../platform/index.ts';
import { newId } from '../platform/index.ts';
import { usageDb } from './db.ts';
import { QuotaExceededError } from './errors.ts';
import { storageQuotaAt } from './quota-setting.ts';
import { subtreeUsageNow } from './rollup.ts';
import type { QuotaStateName } from './tables.ts';

/** A unit's stored bytes (whole subtree, now) against its effective `quota.storage` setting. */
export interface QuotaStatus {
  readonly buId: string;
  readonly state: QuotaStateName;
  readonly usedBytes: bigint;
  /** null when no quota applies. */
  readonly softBytes: number | null;
  readonly hardBytes: number | null;
  /** Newest measurement included in `usedBytes`. */
  readonly asOf: number | null;
}

/**
 * The rule: at or above the hard limit new backups stop (`hard_exceeded`); above the soft
 * threshold the unit is over its allowance but may still back up (`soft_exceeded`).
 */
export function classifyQuota(used: bigint, quota: { softBytes: number; hardBytes: number } | null): QuotaStateName {
  if (!quota) return 'ok';
  if (used >= BigInt(quota.hardBytes)) return 'hard_exceeded';
  if (used > BigInt(quota.softBytes)) return 'soft_exceeded';
  return 'ok';
}

/** The quota state of a unit now. No side effects; {@link refreshQuotaStates} records changes. */
export async function quotaState(database: Database, buId: string): Promise<QuotaStatus> {
  const [quota, usage] = await Promise.all([storageQuotaAt(database, buId), subtreeUsageNow(database, buId)]);
  return {
    buId,
    state: classifyQuota(usage.storedBytes, quota),
    usedBytes: usage.storedBytes,
    softBytes: quota?.softBytes ?? null,
    hardBytes: quota?.hardBytes ?? null,
    asOf: usage.asOf,
  };
}

/**
 * Throws QuotaExceededError when the unit, or any unit above it, is at or over its hard
 * limit: an ancestor's quota caps its whole subtree. Call before starting a backup; never
 * before a restore (restores are always allowed).
 */
export async function assertBackupAllowed(database: Database, buId: string): Promise<void> {
  const path = await usageDb(database)
    .selectFrom('bu_closure')
    .select('ancestor_id')
    .where('descendant_id', '=', buId)
    .orderBy('depth')
    .execute();
  for (const { ancestor_id } of path) {
    const status = await quotaState(database, ancestor_id);
    if (status.state === 'hard_exceeded' && status.hardBytes !== null) {
      throw new QuotaExceededError({
        buId,
        limitBuId: ancestor_id,
        usedBytes: status.usedBytes,
        hardBytes: status.hardBytes,
      });
    }
  }
}

/** A recorded change of a unit's quota state (payload of a `quota.state_changed` event). */
export interface QuotaChange {
  readonly buId: string;
  readonly from: QuotaStateName;
  readonly to: QuotaStateName;
  readonly usedBytes: string;
  readonly softBytes: number | null;
  readonly hardBytes: number | null;
}

/**
 * Evaluates units' quota states and records each change as a `quota.state_changed` event
 * (for reporting to deliver) together with the new state, in one transaction per unit.
 * Without `buIds` it evaluates every unit that stores data in its subtree or was last seen
 * over a threshold. Returns the changes.
 */
export async function refreshQuotaStates(
  database: Database,
  now: number,
  buIds?: readonly string[],
): Promise<QuotaChange[]> {
  const db = usageDb(database);
  let candidates: string[];
  if (buIds) {
    candidates = [...new Set(buIds)];
  } else {
    const withData = await db
      .selectFrom('usage_bu_current as u')
      .innerJoin('bu_closure as c', 'c.descendant_id', 'u.bu_id')
      .select('c.ancestor_id')
      .distinct()
      .execute();
    const flagged = await db.selectFrom('usage_quota_states').select('bu_id').where('state', '<>', 'ok').execute();
    candidates = [...new Set([...withData.map((r) => r.ancestor_id), ...flagged.map((r) => r.bu_id)])];
  }
  const changes: QuotaChange[] = [];
  for (const buId of candidates) {
    const status = await quotaState(database, buId);
    const change = await db.transaction().execute(async (trx) => {
      const previous = await trx
        .selectFrom('usage_quota_states')
        .selectAll()
        .where('bu_id', '=', buId)
        .$if(database.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      const from: QuotaStateName = previous?.state ?? 'ok';
      const row = {
        state: status.state,
        used_bytes: Number(status.usedBytes),
        soft_bytes: status.softBytes,
        hard_bytes: status.hardBytes,
        evaluated_at: now,
      };
      if (previous) await trx.updateTable('usage_quota_states').set(row).where('bu_id', '=', buId).execute();
      else
        await trx
          .insertInto('usage_quota_states')
          .values({ bu_id: buId, ...row })
          .execute();
      if (from === status.state) return undefined;
      const event: QuotaChange = {
        buId,
        from,
        to: status.state,
        usedBytes: status.usedBytes.toString(),
        softBytes: status.softBytes,
        hardBytes: status.hardBytes,
      };
      await trx
        .insertInto('usage_events')
        .values({
          id: newId(now),
          kind: 'quota.state_changed',
          bu_id: buId,
          payload: JSON.stringify(event),
          created_at: now,
          delivered_at: null,
        })
        .execute();
      return event;
    });
    if (change) changes.push(change);
  }
  return changes;
}

/** An event waiting for delivery by the reporting module. */
export interface UsageEvent {
  readonly id: string;
  readonly kind: string;
  readonly buId: string | null;
  readonly payload: unknown;
  readonly createdAt: number;
}

/** Undelivered usage events, oldest first. */
export async function pendingUsageEvents(database: Database, limit = 100): Promise<UsageEvent[]> {
  const rows = await usageDb(database)
    .selectFrom('usage_events')
    .selectAll()
    .where('delivered_at', 'is', null)
    .orderBy('id')
    .limit(Math.max(1, Math.min(limit, 1000)))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    buId: r.bu_id,
    payload: JSON.parse(r.payload),
    createdAt: Number(r.created_at),
  }));
}

/** Marks events delivered so they are not handed out again. */
export async function markUsageEventsDelivered(database: Database, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await usageDb(database)
    .updateTable('usage_events')
    .set({ delivered_at: now })
    .where('id', 'in', [...ids])
    .where('delivered_at', 'is', null)
    .execute();
}
