import type { CreateTableBuilder, Kysely } from 'kysely';

function figures<T extends string, C extends string>(table: CreateTableBuilder<T, C>) {
  return table
    .addColumn('protected_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addColumn('transferred_bytes', 'bigint', (c) => c.notNull())
    .addColumn('snapshot_count', 'bigint', (c) => c.notNull())
    .addColumn('client_count', 'bigint', (c) => c.notNull())
    .addColumn('data_source_count', 'bigint', (c) => c.notNull())
    .addColumn('as_of', 'bigint', (c) => c.notNull());
}

/**
 * Consumption measurement (docs/usage-and-billing.md): daily samples per data source, the
 * latest sample, per-unit daily and current sums kept on write, per-subtree daily sums
 * computed when a day closes, zone measurements, quota states and the usage event outbox.
 * Samples keep their unit id without a foreign key: history outlives deleted units.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('usage_samples')
    .addColumn('data_source_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('bu_id', 'text')
    .addColumn('protected_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addColumn('transferred_bytes', 'bigint', (c) => c.notNull())
    .addColumn('snapshot_count', 'bigint', (c) => c.notNull())
    .addColumn('client_active', 'integer', (c) => c.notNull())
    .addColumn('carried', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('as_of', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    // Day first: each day's samples are appended together (the nightly carry-forward writes
    // every live source at once), instead of touching one index page per data source.
    .addPrimaryKeyConstraint('usage_samples_pk', ['day', 'data_source_id'])
    .execute();
  await db.schema.createIndex('usage_samples_day_bu').on('usage_samples').columns(['day', 'bu_id']).execute();

  await db.schema
    .createTable('usage_latest')
    .addColumn('data_source_id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text')
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('protected_bytes', 'bigint', (c) => c.notNull())
    .addColumn('stored_bytes', 'bigint', (c) => c.notNull())
    .addColumn('transferred_bytes', 'bigint', (c) => c.notNull())
    .addColumn('snapshot_count', 'bigint', (c) => c.notNull())
    .addColumn('client_active', 'integer', (c) => c.notNull())
    .addColumn('as_of', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .execute();
  await db.schema.createIndex('usage_latest_bu').on('usage_latest').column('bu_id').execute();
  await db.schema.createIndex('usage_latest_day').on('usage_latest').columns(['retired_at', 'day']).execute();

  await figures(
    db.schema
      .createTable('usage_bu_daily')
      .addColumn('bu_id', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull()),
  )
    .addPrimaryKeyConstraint('usage_bu_daily_pk', ['bu_id', 'day'])
    .execute();
  await db.schema.createIndex('usage_bu_daily_day').on('usage_bu_daily').column('day').execute();

  await figures(db.schema.createTable('usage_bu_current').addColumn('bu_id', 'text', (c) => c.primaryKey())).execute();

  await figures(
    db.schema
      .createTable('usage_subtree_daily')
      .addColumn('bu_id', 'text', (c) => c.notNull())
      .addColumn('day', 'integer', (c) => c.notNull()),
  )
    .addPrimaryKeyConstraint('usage_subtree_daily_pk', ['bu_id', 'day'])
    .execute();
  await db.schema.createIndex('usage_subtree_daily_day').on('usage_subtree_daily').column('day').execute();

  await db.schema
    .createTable('usage_days')
    .addColumn('day', 'integer', (c) => c.primaryKey())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('finalized_version', 'bigint')
    .addColumn('finalized_at', 'bigint')
    .addColumn('carried_at', 'bigint')
    .execute();

  await db.schema
    .createTable('usage_zone_measurements')
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('measured_bytes', 'bigint', (c) => c.notNull())
    .addColumn('as_of', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_zone_measurements_pk', ['zone', 'day'])
    .execute();

  await db.schema
    .createTable('usage_quota_states')
    .addColumn('bu_id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint', (c) => c.notNull())
    .addColumn('soft_bytes', 'bigint')
    .addColumn('hard_bytes', 'bigint')
    .addColumn('evaluated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('usage_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('bu_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('usage_events_pending').on('usage_events').columns(['delivered_at', 'id']).execute();
}
