import { type DatabaseIntrospector, type Kysely, sql } from 'kysely';
import { type MigrationResultSet, Migrator } from 'kysely/migration';
import { CofferError } from '../errors.ts';
import { migrations } from './migrations/index.ts';

export class MigrationError extends CofferError {
  constructor(message: string, cause?: unknown) {
    super('migration_failed', message, { cause });
  }
}

async function migrator(db: Kysely<unknown>): Promise<Migrator> {
  // On PostgreSQL pin the bookkeeping tables to the connection's own schema: Kysely
  // otherwise finds a schema_migrations table in any schema and skips creating ours.
  const schema = await currentSchema(db);
  return new Migrator({
    db: schema ? introspectingOnly(db, schema) : db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

/**
 * `db` as the migrator sees it: its introspection looks at `schema` alone. Kysely's own
 * lists every table of every schema the role may use (`has_schema_privilege` on each), and
 * a schema that another process drops meanwhile fails that query with "schema … does not
 * exist" — the test suite creates and drops one schema per suite, and a loaded CI machine
 * lost four migration tests to it, retries included. Everything else is `db` itself.
 */
function introspectingOnly(db: Kysely<unknown>, schema: string): Kysely<unknown> {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => {
      const result = await sql<{ name: string }>`
        select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(db);
      return result.rows;
    },
    getTables: async () => {
      const result = await sql<{ name: string }>`
        select c.relname as name
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'f')`.execute(db);
      return result.rows.map((row) => ({ name: row.name, schema, isView: false, isForeign: false, columns: [] }));
    },
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the real instance: Kysely's methods use private fields.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function currentSchema(db: Kysely<unknown>): Promise<string | undefined> {
  try {
    const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    return result.rows[0]?.schema;
  } catch {
    return undefined; // SQLite has no schemas.
  }
}

/**
 * Runs a migration step, retrying a few times: on SQLite two processes starting together
 * race to create the bookkeeping tables (PostgreSQL serialises them with a lock).
 */
async function withRetry(step: () => Promise<MigrationResultSet>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let result: MigrationResultSet;
    try {
      result = await step();
    } catch (error) {
      result = { error };
    }
    if (!result.error || attempt >= 5) return check(result);
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

function check(result: MigrationResultSet): void {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `database migration ${failed?.migrationName ?? ''} failed: ${(result.error as Error).message ?? result.error}`,
      result.error,
    );
  }
}

/** Applies every pending migration (safe to run from several processes at once). */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<void> {
  const m = await migrator(db as unknown as Kysely<unknown>);
  await withRetry(() => m.migrateToLatest());
}

/** Applies migrations up to and including `name`; tests use it to build every earlier schema. */
export async function migrateTo<DB>(db: Kysely<DB>, name: string): Promise<void> {
  const m = await migrator(db as unknown as Kysely<unknown>);
  await withRetry(() => m.migrateTo(name));
}

/** The names of every migration this code knows, in order. */
export function migrationNames(): string[] {
  return Object.keys(migrations).sort();
}

/** True when every migration this code knows has been applied. */
export async function isSchemaCurrent<DB>(db: Kysely<DB>): Promise<boolean> {
  try {
    const rows = await sql<{ name: string }>`select name from schema_migrations`.execute(db);
    const applied = new Set(rows.rows.map((r) => r.name));
    return migrationNames().every((name) => applied.has(name));
  } catch {
    return false;
  }
}
