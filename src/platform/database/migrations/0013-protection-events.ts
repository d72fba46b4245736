import { type Kysely, sql } from 'kysely';

/**
 * What the data path tells reporting: `reported_at` marks backup jobs whose outcome was
 * handed to reporting's alerts (jobs that ended before this migration count as reported, so
 * an upgrade raises no alerts about the past), and `protection_events` holds the other
 * events (nightly verification of each vault) until reporting has taken them. Packs get
 * `verified_at`, so the nightly verification reads the packs checked longest ago first
 * (uploads and repacks are checked as they are written).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('protection_jobs').addColumn('reported_at', 'bigint').execute();
  await sql`update protection_jobs set reported_at = coalesce(finished_at, created_at)
    where status in ('success', 'warning', 'failed', 'missed', 'cancelled')`.execute(db);
  await db.schema
    .createIndex('protection_jobs_unreported')
    .on('protection_jobs')
    .columns(['reported_at', 'status'])
    .execute();

  await db.schema.alterTable('protection_packs').addColumn('verified_at', 'bigint').execute();
  await sql`update protection_packs set verified_at = created_at`.execute(db);
  await db.schema
    .createIndex('protection_packs_verified')
    .on('protection_packs')
    .columns(['vault_id', 'state', 'verified_at'])
    .execute();

  await db.schema
    .createTable('protection_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('protection_events_pending').on('protection_events').column('delivered_at').execute();
  await db.schema
    .createIndex('protection_events_source')
    .on('protection_events')
    .columns(['data_source_id', 'type', 'occurred_at'])
    .execute();
}
