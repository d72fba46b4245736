import { describe, expect, it } from 'vitest';
import { codeAtStep, matchingStep, newRecoveryCodes, normaliseRecoveryCode, stepAt } from './totp.ts';

/** RFC 6238 appendix B, SHA-1 seed "12345678901234567890" in base32; six-digit codes are the last six digits. */
const rfcSecret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const vectors: [number, string][] = [
  [59, '287082'],
  [1111111109, '081804'],
  [1111111111, '050471'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];

describe('TOTP', () => {
  it('matches the RFC 6238 test vectors', () => {
    for (const [seconds, code] of vectors) expect(codeAtStep(rfcSecret, stepAt(seconds * 1000))).toBe(code);
  });

  it('finds the step of codes within one step of drift only', () => {
    const now = 1_700_000_000_000;
    const step = stepAt(now);
    for (const offset of [-1, 0, 1])
      expect(matchingStep(rfcSecret, codeAtStep(rfcSecret, step + offset), now)).toBe(step + offset);
    for (const offset of [-2, 2]) expect(matchingStep(rfcSecret, codeAtStep(rfcSecret, step + offset), now)).toBeNull();
    expect(matchingStep(rfcSecret, '12345', now)).toBeNull();
    expect(matchingStep(rfcSecret, 'abcdef', now)).toBeNull();
  });

  it('makes ten distinct recovery codes that normalise back from what people type', () => {
    const codes = newRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(normaliseRecoveryCode(' ABCD-efgh ijkl-MNOP ')).toBe('abcdefghijklmnop');
  });
});
