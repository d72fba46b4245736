import type { Kysely } from 'kysely';

/**
 * Subscription billing (docs/usage-and-billing.md): seller profiles, subscriptions with
 * products, contracts, manual registrations, runs, immutable billing lines with a posting
 * sequence for ERP cursors, and the billing event outbox. Unit ids carry no foreign keys:
 * billing history outlives units, and a deletion guard keeps units with open contracts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('billing_profiles')
    .addColumn('bu_id', 'text', (c) => c.primaryKey())
    .addColumn('billing_day', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('billing_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_bu_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('billing_subscriptions_owner_name')
    .on('billing_subscriptions')
    .columns(['owner_bu_id', 'name'])
    .unique()
    .execute();

  await db.schema
    .createTable('billing_products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('billing_subscriptions.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('unit_label', 'text', (c) => c.notNull())
    .addColumn('settlement', 'text', (c) => c.notNull())
    .addColumn('package_size', 'integer', (c) => c.notNull())
    .addColumn('value_mode', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('tier_mode', 'text', (c) => c.notNull())
    .addColumn('tiers', 'text', (c) => c.notNull())
    .addColumn('minimum_charge', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('billing_products_subscription_name')
    .on('billing_products')
    .columns(['subscription_id', 'name'])
    .unique()
    .execute();

  await db.schema
    .createTable('billing_contracts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('billing_subscriptions.id'))
    .addColumn('seller_bu_id', 'text', (c) => c.notNull())
    .addColumn('customer_bu_id', 'text', (c) => c.notNull())
    .addColumn('start_day', 'integer', (c) => c.notNull())
    .addColumn('end_day', 'integer')
    .addColumn('settlement_rate', 'integer', (c) => c.notNull())
    .addColumn('timing', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('billing_contracts_customer').on('billing_contracts').column('customer_bu_id').execute();
  await db.schema.createIndex('billing_contracts_seller').on('billing_contracts').column('seller_bu_id').execute();

  await db.schema
    .createTable('billing_registrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contract_id', 'text', (c) => c.notNull().references('billing_contracts.id'))
    .addColumn('product_id', 'text', (c) => c.notNull().references('billing_products.id'))
    .addColumn('bu_id', 'text', (c) => c.notNull())
    .addColumn('data_source_id', 'text')
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('quantity_milli', 'bigint', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('settled_line_id', 'text')
    .execute();
  await db.schema
    .createIndex('billing_registrations_open')
    .on('billing_registrations')
    .columns(['contract_id', 'product_id', 'settled_line_id'])
    .execute();

  await db.schema
    .createTable('billing_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seller_bu_id', 'text', (c) => c.notNull())
    .addColumn('run_day', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('posted_at', 'bigint')
    .addColumn('line_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('totals', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema
    .createIndex('billing_runs_seller_day')
    .on('billing_runs')
    .columns(['seller_bu_id', 'run_day'])
    .unique()
    .execute();

  await db.schema
    .createTable('billing_lines')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.references('billing_runs.id'))
    .addColumn('seq', 'bigint', (c) => c.unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('charge_key', 'text', (c) => c.unique())
    .addColumn('contract_id', 'text', (c) => c.notNull().references('billing_contracts.id'))
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('seller_bu_id', 'text', (c) => c.notNull())
    .addColumn('customer_bu_id', 'text', (c) => c.notNull())
    .addColumn('period_start', 'integer', (c) => c.notNull())
    .addColumn('period_end', 'integer', (c) => c.notNull())
    .addColumn('product_name', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('unit_label', 'text', (c) => c.notNull())
    .addColumn('quantity_milli', 'bigint', (c) => c.notNull())
    .addColumn('unit_price', 'bigint')
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('corrects_line_id', 'text')
    .addColumn('reason', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('posted_at', 'bigint')
    .execute();
  await db.schema.createIndex('billing_lines_run').on('billing_lines').column('run_id').execute();
  await db.schema
    .createIndex('billing_lines_seller_seq')
    .on('billing_lines')
    .columns(['seller_bu_id', 'seq'])
    .execute();
  await db.schema
    .createIndex('billing_lines_customer_period')
    .on('billing_lines')
    .columns(['customer_bu_id', 'period_start'])
    .execute();
  await db.schema
    .createIndex('billing_lines_contract_product')
    .on('billing_lines')
    .columns(['contract_id', 'product_id', 'period_start'])
    .execute();
  await db.schema.createIndex('billing_lines_corrects').on('billing_lines').column('corrects_line_id').execute();

  await db.schema
    .createTable('billing_counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('billing_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('bu_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('billing_events_pending').on('billing_events').columns(['delivered_at', 'id']).execute();
}
