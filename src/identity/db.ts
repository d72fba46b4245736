import type { Kysely } from 'kysely';
import type { Database } from '../platform/index.ts';
import type { TenancyTables } from '../tenancy/index.ts';
import type { IdentityTables } from './tables.ts';

/** The shared Kysely instance seen with identity's tables (and the unit tree it joins on). */
export type IdentityDb = Kysely<IdentityTables & TenancyTables>;

export function identityDb(database: Database): IdentityDb {
  return database.kysely.withTables<IdentityTables & TenancyTables>() as unknown as IdentityDb;
}

/** A transaction handed over by another module (AuditRecorder.record's `trx`), seen with identity's tables. */
export function asIdentityDb(trx: unknown): IdentityDb {
  return trx as IdentityDb;
}

/** Escapes `%`, `_` and `\` for a LIKE pattern used with `escape '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
