import type { Kysely } from 'kysely';

/**
 * Storage problems the data path met on its zones (a full disk, an unreachable object
 * store, refused credentials): what operators' server reports list. Repeats of one problem
 * on one zone within a short window are folded into one row with a count.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('protection_storage_problems')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('zone_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('first_at', 'bigint', (c) => c.notNull())
    .addColumn('last_at', 'bigint', (c) => c.notNull())
    .addColumn('occurrences', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('protection_storage_problems_zone')
    .on('protection_storage_problems')
    .columns(['zone_id', 'kind', 'last_at'])
    .execute();
  await db.schema
    .createIndex('protection_storage_problems_last')
    .on('protection_storage_problems')
    .column('last_at')
    .execute();
}
