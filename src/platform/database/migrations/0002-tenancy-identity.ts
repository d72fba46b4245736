import type { Kysely } from 'kysely';

/**
 * Business-unit tree (adjacency plus a closure table for subtree queries), roles and users.
 * Later migrations extend these tables; this one holds what the first start needs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('business_units')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('parent_id', 'text', (c) => c.references('business_units.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('business_units_parent').on('business_units').column('parent_id').execute();
  await db.schema
    .createIndex('business_units_sibling_code')
    .on('business_units')
    .columns(['parent_id', 'code'])
    .unique()
    .execute();

  await db.schema
    .createTable('bu_closure')
    .addColumn('ancestor_id', 'text', (c) => c.notNull().references('business_units.id').onDelete('cascade'))
    .addColumn('descendant_id', 'text', (c) => c.notNull().references('business_units.id').onDelete('cascade'))
    .addColumn('depth', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('bu_closure_pk', ['ancestor_id', 'descendant_id'])
    .execute();
  await db.schema.createIndex('bu_closure_descendant').on('bu_closure').columns(['descendant_id', 'depth']).execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text', (c) => c.references('business_units.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('privileges', 'text', (c) => c.notNull())
    .addColumn('builtin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu_id', 'text', (c) => c.notNull().references('business_units.id'))
    .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_bu').on('users').column('bu_id').execute();
}
