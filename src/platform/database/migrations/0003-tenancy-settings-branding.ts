import { type Kysely, SqliteAdapter } from 'kysely';

/**
 * Inherited settings and branding per business unit, plus an index that serves paged
 * child listings in name order without sorting.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const binary = db.getExecutor().adapter instanceof SqliteAdapter ? 'blob' : 'bytea';

  await db.schema
    .createIndex('business_units_parent_name')
    .on('business_units')
    .columns(['parent_id', 'name', 'id'])
    .execute();

  await db.schema
    .createTable('bu_settings')
    .addColumn('bu_id', 'text', (c) => c.notNull().references('business_units.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addPrimaryKeyConstraint('bu_settings_pk', ['bu_id', 'key'])
    .execute();

  await db.schema
    .createTable('bu_brands')
    .addColumn('bu_id', 'text', (c) => c.primaryKey().references('business_units.id').onDelete('cascade'))
    .addColumn('display_name', 'text')
    .addColumn('primary_color', 'text')
    .addColumn('accent_color', 'text')
    .addColumn('email_sender_name', 'text')
    .addColumn('email_sender_address', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('bu_logos')
    .addColumn('bu_id', 'text', (c) => c.primaryKey().references('business_units.id').onDelete('cascade'))
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('bytes', binary, (c) => c.notNull())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
