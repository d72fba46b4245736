import { describe, expect, it } from 'vitest';
import { passwordProblems } from './password-policy.ts';

const relaxed = {
  minLength: 12,
  requireLowercase: false,
  requireUppercase: false,
  requireDigit: false,
  requireSymbol: false,
};

describe('password policy', () => {
  it('applies the length and character-class rules of the setting', () => {
    expect(passwordProblems('long enough words', relaxed, 'a@example.test')).toEqual([]);
    expect(passwordProblems('short', relaxed, 'a@example.test')).toEqual(['at least 12 characters']);
    const strict = {
      ...relaxed,
      requireLowercase: true,
      requireUppercase: true,
      requireDigit: true,
      requireSymbol: true,
    };
    expect(passwordProblems('alllowercaseletters', strict, 'a@example.test')).toEqual([
      'an upper-case letter',
      'a digit',
      'a symbol',
    ]);
    expect(passwordProblems('Mixed-Case-42-ok', strict, 'a@example.test')).toEqual([]);
  });

  it('always refuses one repeated character and the email name, and overlong passwords', () => {
    expect(passwordProblems('aaaaaaaaaaaaaaa', relaxed, 'a@example.test')).toContain('not one repeated character');
    expect(passwordProblems('my name is jsmith ok', relaxed, 'JSmith@example.test')).toContain(
      'must not contain the email address',
    );
    expect(passwordProblems('x'.repeat(300), relaxed, 'a@example.test')).toContain('at most 256 characters');
  });
});
