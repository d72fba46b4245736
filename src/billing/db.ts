import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../platform/index.ts';
import type { BillingTables } from './tables.ts';

/** A connection or transaction that sees the billing tables (and the usage and tree tables). */
export type BillingDb = Kysely<BillingTables> | Transaction<BillingTables>;

export function billingDb(database: Database): Kysely<BillingTables> {
  return database.kysely.withTables<BillingTables>();
}

/** True when the database refused a row for a unique constraint (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (e.code === '23505') return true;
  return typeof e.message === 'string' && e.message.includes('UNIQUE constraint failed');
}
