import { type Expression, type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database } from '../platform/index.ts';
import type { UsageTables } from './tables.ts';

/** A connection or transaction that sees the usage tables (and the tenancy tree). */
export type UsageDb = Kysely<UsageTables> | Transaction<UsageTables>;

/** The usage view of an open database. */
export function usageDb(database: Database): Kysely<UsageTables> {
  return database.kysely.withTables<UsageTables>();
}

/**
 * A sum read back as decimal text: subtree sums of bytes can pass 2^53 (9 PB), which neither
 * driver returns exactly as a number; {@link toBigInt} turns the text into a bigint.
 */
export function sumText(expression: Expression<unknown>): RawBuilder<string> {
  return sql<string>`cast(coalesce(sum(${expression}), 0) as text)`;
}

/** A bigint column read back as decimal text (see {@link sumText}). */
export function columnText(expression: Expression<unknown>): RawBuilder<string> {
  return sql<string>`cast(${expression} as text)`;
}

/** Decimal text or a number from the database as a bigint. */
export function toBigInt(value: string | number | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  return typeof value === 'bigint' ? value : BigInt(value);
}
