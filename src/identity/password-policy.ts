import type { PasswordPolicy } from '../tenancy/index.ts';

export type { PasswordPolicy };

/** argon2 hashes any length, but a bound keeps one request from costing much. */
export const maxPasswordLength = 256;

/**
 * The problems with `password` under the unit's `password.policy` setting (tenancy
 * validates its shape), empty when acceptable. Two checks always apply whatever the
 * setting says: no password made of one repeated character, none containing the
 * local part of the email address.
 */
export function passwordProblems(password: string, policy: PasswordPolicy, email: string): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < policy.minLength) problems.push(`at least ${policy.minLength} characters`);
  if (length > maxPasswordLength) problems.push(`at most ${maxPasswordLength} characters`);
  if (policy.requireLowercase && !/\p{Ll}/u.test(password)) problems.push('a lower-case letter');
  if (policy.requireUppercase && !/\p{Lu}/u.test(password)) problems.push('an upper-case letter');
  if (policy.requireDigit && !/\p{Nd}/u.test(password)) problems.push('a digit');
  if (policy.requireSymbol && !/[^\p{L}\p{Nd}]/u.test(password)) problems.push('a symbol');
  if (/^(.)\1*$/su.test(password)) problems.push('not one repeated character');
  const local = email.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 3 && password.toLowerCase().includes(local)) problems.push('must not contain the email address');
  return problems;
}
