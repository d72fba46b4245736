import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/index.ts';
import type { TenancyTables } from '../tenancy/index.ts';
import type { ProtectionTables } from './tables.ts';

/** The tables protection queries: its own and the unit tree (read-only). */
export type ProtectionSchema = ProtectionTables & Pick<TenancyTables, 'business_units' | 'bu_closure'>;

/** A connection or transaction that sees the protection tables. */
export type ProtectionDb = Kysely<ProtectionSchema> | Transaction<ProtectionSchema>;

/** The protection view of an open database. */
export function protectionDb(database: Database): Kysely<ProtectionSchema> {
  return database.kysely.withTables<ProtectionSchema>();
}

/** Rows are inserted in batches of this many so statements stay under parameter limits. */
export const insertBatch = 400;

/** Splits `items` into chunks of `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
