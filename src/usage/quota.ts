import type { Database } from '../platform/index.ts';
import { usageDb } from './db.ts';
import { QuotaExceededError } from './errors.ts';
import { storageQuotaAt } from './quota-setting.ts';
import {
  insertUsageEvent,
  pathToRoot,
  quotaCandidates,
  setEventsDelivered,
  swapQuotaState,
  undeliveredEvents,
} from './quota-store.ts';
import { subtreeUsageNow } from './rollup-store.ts';
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
 * limit: an ancestor's quota caps its whole subtree. The data path calls this before it
 * starts a backup and never before a restore (restores are always allowed).
 */
export async function assertBackupAllowed(database: Database, buId: string): Promise<void> {
  for (const unit of await pathToRoot(database, buId)) {
    const status = await quotaState(database, unit);
    if (status.state === 'hard_exceeded' && status.hardBytes !== null) {
      throw new QuotaExceededError({ buId, limitBuId: unit, usedBytes: status.usedBytes, hardBytes: status.hardBytes });
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
  const candidates = buIds ? [...new Set(buIds)] : await quotaCandidates(database);
  const changes: QuotaChange[] = [];
  for (const buId of candidates) {
    const status = await quotaState(database, buId);
    const change = await usageDb(database)
      .transaction()
      .execute(async (trx) => {
        const from = await swapQuotaState(trx, database.dialect, buId, {
          state: status.state,
          // Informational copy; exact figures are recomputed on every evaluation.
          used_bytes: Number(status.usedBytes),
          soft_bytes: status.softBytes,
          hard_bytes: status.hardBytes,
          evaluated_at: now,
        });
        if (from === status.state) return undefined;
        const event: QuotaChange = {
          buId,
          from,
          to: status.state,
          usedBytes: status.usedBytes.toString(),
          softBytes: status.softBytes,
          hardBytes: status.hardBytes,
        };
        await insertUsageEvent(trx, {
          kind: 'quota.state_changed',
          bu_id: buId,
          payload: JSON.stringify(event),
          created_at: now,
        });
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
  const rows = await undeliveredEvents(database, Math.max(1, Math.min(limit, 1000)));
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
  await setEventsDelivered(database, ids, now);
}
