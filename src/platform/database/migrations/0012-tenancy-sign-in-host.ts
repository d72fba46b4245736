import type { Kysely } from 'kysely';

/**
 * A business unit's sign-in address: the host name (e.g. `backup.reseller.example`) under
 * which the console's sign-in page shows the unit's brand to people not yet signed in.
 * Stored in lower case, unique across the installation; null for none. Not inherited.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('bu_brands').addColumn('sign_in_host', 'text').execute();
  // NULLs are distinct in a unique index on both SQLite and PostgreSQL: many units have none.
  await db.schema.createIndex('bu_brands_sign_in_host').on('bu_brands').column('sign_in_host').unique().execute();
}
