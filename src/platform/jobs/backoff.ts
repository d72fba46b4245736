import { ValidationError } from '../errors.ts';

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** No retry waits longer than this. */
  readonly capMs: number;
}

export const defaultBackoff: BackoffPolicy = Object.freeze({ baseMs: 2_000, capMs: 10 * 60_000 });

/**
 * Delay before retrying after failed attempt number `attempt` (1-based): "full jitter",
 * `random() * min(cap, base * 2^(attempt-1))`. The randomness spreads retries of jobs that
 * failed together (e.g. while a store was down) so they do not return as one burst.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^exponent overflows to Infinity for huge attempt counts; min() keeps the cap.
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.floor(ceiling * random());
}

/** Checks a policy once, where it enters (queue options). */
export function validateBackoff(policy: BackoffPolicy): BackoffPolicy {
  const { baseMs, capMs } = policy;
  if (!Number.isFinite(baseMs) || baseMs < 0 || !Number.isFinite(capMs) || capMs < baseMs) {
    throw new ValidationError('backoff needs 0 <= baseMs <= capMs (milliseconds)', { baseMs, capMs });
  }
  return Object.freeze({ baseMs, capMs });
}
