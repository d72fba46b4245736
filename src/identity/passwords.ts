import { randomInt } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/** argon2id cost parameters. */
export interface PasswordHashing {
  memoryCost: number;
  timeCost: number;
}

/** OWASP's second recommended argon2id profile (19 MiB, t=2, p=1); the production default. */
export const productionHashing: PasswordHashing = Object.freeze({ memoryCost: 19_456, timeCost: 2 });

/**
 * The cheapest parameters argon2 accepts, for tests only: verification reads the cost from
 * the stored hash, so production servers never create such hashes but still verify them.
 */
export const testHashing: PasswordHashing = Object.freeze({ memoryCost: 64, timeCost: 1 });

/** argon2id is the library's const enum value 2. */
const argon2id = 2;

export function hashPassword(password: string, cost: PasswordHashing = productionHashing): Promise<string> {
  return hash(password, { algorithm: argon2id, memoryCost: cost.memoryCost, timeCost: cost.timeCost, parallelism: 1 });
}

/** True when `password` matches the PHC string; false (never throws) on a malformed hash. */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password for one-time use (≈ 119 bits). */
export function generatePassword(length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
