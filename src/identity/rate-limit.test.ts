import { describe, expect, it } from 'vitest';
import { accountPolicy, nextAttemptAt } from './rate-limit.ts';

const row = (failures: number, last: number, locked: number | null = null) => ({
  key: 'account:a@example.test',
  failures,
  last_failure_at: last,
  locked_until: locked,
});

describe('sign-in throttle policy', () => {
  it('allows the free failures, then doubles the delay up to the cap', () => {
    const now = 1_000_000;
    expect(nextAttemptAt(undefined, accountPolicy, now)).toBeNull();
    expect(nextAttemptAt(row(2, now), accountPolicy, now)).toBeNull();
    expect(nextAttemptAt(row(3, now), accountPolicy, now)).toEqual({ at: now + 1000, locked: false });
    expect(nextAttemptAt(row(5, now), accountPolicy, now)).toEqual({ at: now + 4000, locked: false });
    expect(nextAttemptAt(row(30, now), accountPolicy, now)).toEqual({
      at: now + accountPolicy.maxDelayMs,
      locked: false,
    });
    expect(nextAttemptAt(row(5, now - 4000), accountPolicy, now)).toBeNull();
  });

  it('honours a lockout until it ends and forgets old failures', () => {
    const now = 5_000_000;
    expect(nextAttemptAt(row(10, now, now + 60_000), accountPolicy, now)).toEqual({ at: now + 60_000, locked: true });
    expect(nextAttemptAt(row(10, now - 120_000, now - 1), accountPolicy, now)).toBeNull();
    expect(nextAttemptAt(row(9, now - accountPolicy.forgetAfterMs - 1), accountPolicy, now)).toBeNull();
  });
});
