import { describe, expect, it } from 'vitest';
import { normalizeColor, normalizeEmailAddress, normalizeName, validateCode } from './validation.ts';

describe('unit names', () => {
  it('trims and normalises', () => {
    expect(normalizeName('  Acme  ')).toBe('Acme');
    expect(normalizeName('Cafe\u0301')).toBe('Café');
  });

  it.each([
    ['empty', ''],
    ['blank', ' \t '],
    ['too long', 'x'.repeat(201)],
    ['NUL', 'a\u0000b'],
    ['newline', 'a\nb'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['line separator', 'a\u2028b'],
    ['bidi override', 'invoice\u202Efdp.exe'],
  ])('refuses %s', (_label, name) => {
    expect(() => normalizeName(name)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });

  it('counts characters, not UTF-16 units', () => {
    expect(normalizeName('😀'.repeat(200))).toHaveLength(400);
    expect(() => normalizeName('😀'.repeat(201))).toThrow();
  });
});

describe('codes, colours, addresses', () => {
  it('accepts 1-32 of [A-Za-z0-9_-] and null', () => {
    expect(validateCode('ACME_01-x')).toBe('ACME_01-x');
    expect(validateCode(null)).toBeNull();
    expect(validateCode(undefined)).toBeNull();
    for (const bad of ['', 'a b', 'x'.repeat(33), 'a.b', 'é', '{bu}']) expect(() => validateCode(bad)).toThrow();
  });

  it('accepts #rrggbb colours only', () => {
    expect(normalizeColor('#A1b2C3', 'primaryColor')).toBe('#a1b2c3');
    for (const bad of ['#fff', 'red', '#12345g', '112233', '#1122334'])
      expect(() => normalizeColor(bad, 'c')).toThrow();
  });

  it('accepts plain addresses and refuses header injection', () => {
    expect(normalizeEmailAddress(' backup@example.com ', 'a')).toBe('backup@example.com');
    for (const bad of [
      'no-at',
      'a@b',
      'a b@example.com',
      'a@example.com\r\nBcc: x@y.z',
      '<a@example.com>',
      'a@-x.com',
    ]) {
      expect(() => normalizeEmailAddress(bad, 'a')).toThrow();
    }
  });
});
