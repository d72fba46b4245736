import type { Kysely, Transaction } from 'kysely';
import type { IdentityTables } from '../identity/index.ts';
import type { Database, PlatformTables } from '../platform/index.ts';
import type { TenancyTables } from '../tenancy/index.ts';
import type { ReportingTables } from './tables.ts';

/**
 * Reporting's own tables plus the ones it reads: the unit tree (subtree joins) and users
 * (a user subscriber's address and reach). It writes only its own.
 */
export type ReportingSchema = ReportingTables &
  TenancyTables &
  Pick<IdentityTables, 'users' | 'roles'> &
  PlatformTables;

/** A connection or a transaction over {@link ReportingSchema}. */
export type ReportingDb = Kysely<ReportingSchema> | Transaction<ReportingSchema>;

export function reportingDb(database: Database): Kysely<ReportingSchema> {
  return database.kysely.withTables<ReportingTables & TenancyTables & Pick<IdentityTables, 'users' | 'roles'>>();
}
