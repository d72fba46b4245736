import type { IdentityDb } from './db.ts';
import { SignInThrottledError } from './errors.ts';
import { clearThrottle, findThrottle, lockThrottle, recordFailure, type ThrottleRow } from './throttle-store.ts';

/**
 * How failed sign-ins slow an attacker down. After `freeFailures`, each attempt must wait
 * a delay that doubles with every further failure (capped), and at `lockoutAfter`
 * failures the key is locked for `lockoutMs`. Counts are forgotten after `forgetAfterMs`
 * without failures. An administrator can lift an account's lockout early.
 */
export interface ThrottlePolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  lockoutAfter: number;
  lockoutMs: number;
  forgetAfterMs: number;
}

/** Per account: one person mistyping gets three free tries; a guesser is locked after ten. */
export const accountPolicy: ThrottlePolicy = Object.freeze({
  freeFailures: 3,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  lockoutAfter: 10,
  lockoutMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
});

/** Per address: higher limits, because offices share an address behind NAT. */
export const addressPolicy: ThrottlePolicy = Object.freeze({
  freeFailures: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  lockoutAfter: 100,
  lockoutMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
});

export function accountKey(email: string): string {
  return `account:${email.toLowerCase()}`;
}

export function addressKey(address: string): string {
  return `address:${address}`;
}

/** When the next attempt is allowed for this row (null: now), and whether that is a lockout. */
export function nextAttemptAt(
  row: ThrottleRow | undefined,
  policy: ThrottlePolicy,
  now: number,
): { at: number; locked: boolean } | null {
  if (!row) return null;
  if (row.locked_until !== null) return row.locked_until > now ? { at: row.locked_until, locked: true } : null;
  if (row.last_failure_at < now - policy.forgetAfterMs) return null;
  if (row.failures < policy.freeFailures) return null;
  const delay = Math.min(policy.baseDelayMs * 2 ** (row.failures - policy.freeFailures), policy.maxDelayMs);
  const at = row.last_failure_at + delay;
  return at > now ? { at, locked: false } : null;
}

/** Throws SignInThrottledError when the account or the address must still wait. */
export async function assertSignInAllowed(db: IdentityDb, email: string, address: string, now: number): Promise<void> {
  const rows = await findThrottle(db, [accountKey(email), addressKey(address)]);
  const waits = [
    nextAttemptAt(rows.get(accountKey(email)), accountPolicy, now),
    nextAttemptAt(rows.get(addressKey(address)), addressPolicy, now),
  ].filter((w) => w !== null);
  if (waits.length === 0) return;
  const latest = waits.reduce((a, b) => (b.at > a.at ? b : a));
  throw new SignInThrottledError(
    latest.at,
    now,
    waits.some((w) => w.locked),
  );
}

/** Counts a failure against both keys; returns true when this failure locked the account. */
export async function countFailedSignIn(db: IdentityDb, email: string, address: string, now: number): Promise<boolean> {
  let lockedAccount = false;
  for (const [key, policy] of [
    [accountKey(email), accountPolicy],
    [addressKey(address), addressPolicy],
  ] as const) {
    const row = await recordFailure(db, key, now, now - policy.forgetAfterMs);
    if (row.failures >= policy.lockoutAfter && row.locked_until === null) {
      await lockThrottle(db, key, now + policy.lockoutMs);
      if (policy === accountPolicy) lockedAccount = true;
    }
  }
  return lockedAccount;
}

/** A successful sign-in forgets the account's failures (the address's decay by time). */
export async function forgetAccountFailures(db: IdentityDb, email: string): Promise<void> {
  await clearThrottle(db, accountKey(email));
}

/** Lifts a lockout (and pending delays) of one account; true if there was one. */
export async function liftAccountLockout(db: IdentityDb, email: string): Promise<boolean> {
  return clearThrottle(db, accountKey(email));
}
