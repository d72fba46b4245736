import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { backoffDelay, validateBackoff } from './backoff.ts';

describe('backoffDelay', () => {
  const policy = { baseMs: 1_000, capMs: 60_000 };

  it('doubles the ceiling per attempt up to the cap', () => {
    const ceiling = (attempt: number) => backoffDelay(attempt, policy, () => 0.999_999_9);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(ceiling)).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999, 59999]);
  });

  it('is full jitter: anywhere from zero to the ceiling', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(2_000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (a, r) => {
          const delay = backoffDelay(a, policy, () => r);
          return Number.isInteger(delay) && delay >= 0 && delay < policy.capMs;
        },
      ),
    );
  });

  it('refuses a policy whose cap is below its base', () => {
    expect(() => validateBackoff({ baseMs: 10, capMs: 5 })).toThrow(ValidationError);
    expect(() => validateBackoff({ baseMs: -1, capMs: 5 })).toThrow(ValidationError);
  });
});
