import { sql } from 'kysely';
import type { IdentityDb } from './db.ts';
import type { SignInThrottleTable } from './tables.ts';

export type ThrottleRow = SignInThrottleTable;

export async function findThrottle(db: IdentityDb, keys: readonly string[]): Promise<Map<string, ThrottleRow>> {
  if (keys.length === 0) return new Map();
  const rows = await db
    .selectFrom('sign_in_throttle')
    .selectAll()
    .where('key', 'in', [...keys])
    .execute();
  return new Map(rows.map((r) => [r.key, r]));
}

/**
 * Counts one failure for `key` in a single atomic upsert (concurrent failures all count).
 * The count starts again after `forgetBefore` without failures, or once a lockout has ended.
 */
export async function recordFailure(
  db: IdentityDb,
  key: string,
  now: number,
  forgetBefore: number,
): Promise<ThrottleRow> {
  const stale = sql<boolean>`(sign_in_throttle.last_failure_at < ${forgetBefore} or (sign_in_throttle.locked_until is not null and sign_in_throttle.locked_until <= ${now}))`;
  return db
    .insertInto('sign_in_throttle')
    .values({ key, failures: 1, last_failure_at: now, locked_until: null })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`case when ${stale} then 1 else sign_in_throttle.failures + 1 end`,
        locked_until: sql<number | null>`case when ${stale} then null else sign_in_throttle.locked_until end`,
        last_failure_at: now,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function lockThrottle(db: IdentityDb, key: string, until: number): Promise<void> {
  await db.updateTable('sign_in_throttle').set({ locked_until: until }).where('key', '=', key).execute();
}

export async function clearThrottle(db: IdentityDb, key: string): Promise<boolean> {
  const result = await db.deleteFrom('sign_in_throttle').where('key', '=', key).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Forgets failure counts that no longer slow anyone down (older than `before`, not locked). */
export async function deleteStaleThrottles(db: IdentityDb, before: number, now: number): Promise<number> {
  const result = await db
    .deleteFrom('sign_in_throttle')
    .where('last_failure_at', '<', before)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
