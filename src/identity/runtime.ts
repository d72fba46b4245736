import type { Clock, Database, Logger } from '../platform/index.ts';
import { type IdentityDb, identityDb } from './db.ts';
import { type PasswordHashing, productionHashing } from './passwords.ts';
import { createSecretBox, type SecretBox } from './secret-box.ts';

/** Long-lived dependencies of identity's services; one per server. */
export interface IdentityRuntime {
  readonly db: IdentityDb;
  readonly database: Database;
  readonly clock: Clock;
  readonly log: Logger;
  /** Encrypts TOTP secrets and keys recovery-code HMACs (docs/decisions/0006). */
  readonly box: SecretBox;
  readonly hashing: PasswordHashing;
}

export interface IdentityOptions {
  database: Database;
  clock: Clock;
  log: Logger;
  /** 32 bytes; see loadOrCreateSecretKey. */
  secretKey: Uint8Array;
  /** Cheaper argon2 for tests only; production always uses the default. */
  passwordHashing?: PasswordHashing;
}

export function createIdentityRuntime(options: IdentityOptions): IdentityRuntime {
  return Object.freeze({
    db: identityDb(options.database),
    database: options.database,
    clock: options.clock,
    log: options.log,
    box: createSecretBox(options.secretKey),
    hashing: options.passwordHashing ?? productionHashing,
  });
}
