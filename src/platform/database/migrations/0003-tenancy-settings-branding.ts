import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * Inherited settings and branding per business unit, an index that serves paged child
 * listings in name order without sorting, and a closure table without foreign keys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const binary = sqlite ? 'blob' : 'bytea';
  await dropClosureForeignKeys(db, sqlite);

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

/**
 * The closure table is derived data that only tenancy's store writes, always together with
 * the units it describes. Its two foreign keys cost a parent lookup for every row inserted
 * or deleted — about a fifth of a 10,000-unit move (120,000 closure rows) — and guard
 * nothing the store does not already guarantee (the property test checks it).
 * SQLite cannot drop a constraint, so the table is rebuilt.
 */
async function dropClosureForeignKeys(db: Kysely<unknown>, sqlite: boolean): Promise<void> {
  if (!sqlite) {
    const found = await sql<{ conname: string }>`
      select conname from pg_constraint where conrelid = 'bu_closure'::regclass and contype = 'f'`.execute(db);
    for (const row of found.rows) await sql`alter table bu_closure drop constraint ${sql.id(row.conname)}`.execute(db);
    return;
  }
  await db.schema
    .createTable('bu_closure_rebuilt')
    .addColumn('ancestor_id', 'text', (c) => c.notNull())
    .addColumn('descendant_id', 'text', (c) => c.notNull())
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('bu_closure_pk', ['ancestor_id', 'descendant_id'])
    .execute();
  await sql`insert into bu_closure_rebuilt (ancestor_id, descendant_id, depth)
    select ancestor_id, descendant_id, depth from bu_closure`.execute(db);
  await db.schema.dropTable('bu_closure').execute();
  await db.schema.alterTable('bu_closure_rebuilt').renameTo('bu_closure').execute();
  await db.schema.createIndex('bu_closure_descendant').on('bu_closure').columns(['descendant_id', 'depth']).execute();
}
