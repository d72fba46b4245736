import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { CofferError } from '../errors.ts';
import { openSqlite } from './sqlite-driver.ts';
import type { PlatformTables } from './tables.ts';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: the Kysely instance, which engine it is, and how to close it. */
export interface Database {
  readonly kysely: Kysely<PlatformTables>;
  readonly dialect: DialectName;
  close(): Promise<void>;
}

export class DatabaseUnavailableError extends CofferError {
  constructor(message: string, cause?: unknown) {
    super('database_unavailable', message, { cause });
  }
}

/** 64-bit integers come back from PostgreSQL as numbers (byte counts stay below 2^53). */
const int8 = 20;
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === int8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * Opens `sqlite:/path` (WAL, foreign keys, busy timeout; parent folder created) or
 * `postgres://…` (a pool; `searchPath` selects a schema, used by tests). Checks the
 * connection before returning; throws {@link DatabaseUnavailableError} with one clear line.
 */
export async function openDatabase(
  url: string,
  options: { searchPath?: string; poolSize?: number } = {},
): Promise<Database> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const database = openSqlite(path);
      const kysely = new Kysely<PlatformTables>({ dialect: new SqliteDialect({ database }) });
      return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
    } catch (error) {
      throw new DatabaseUnavailableError(`cannot open SQLite database ${path}: ${(error as Error).message}`, error);
    }
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types: pgTypes,
      connectionTimeoutMillis: 5000,
      ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
    });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it on the next query.
    });
    const kysely = new Kysely<PlatformTables>({ dialect: new PostgresDialect({ pool }) });
    try {
      await sql`select 1`.execute(kysely);
    } catch (error) {
      await kysely.destroy();
      throw new DatabaseUnavailableError(
        `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`,
        error,
      );
    }
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  throw new DatabaseUnavailableError('database URL must start with sqlite: or postgres://');
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
