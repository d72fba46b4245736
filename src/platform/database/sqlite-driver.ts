import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Adapts Node's built-in `node:sqlite` to the small interface Kysely's SqliteDialect
 * expects. Chosen over better-sqlite3 by measurement (docs/decisions/0002-sqlite-driver.md).
 * Booleans and Dates are not valid SQLite parameters: stores pass 0/1 and epoch milliseconds.
 */
export function openSqlite(path: string): SqliteDatabase & { raw: DatabaseSync } {
  const raw = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 });
  raw.exec('PRAGMA journal_mode = WAL');
  raw.exec('PRAGMA synchronous = NORMAL');
  raw.exec('PRAGMA foreign_keys = ON');
  raw.exec('PRAGMA busy_timeout = 5000');
  const cache = new Map<string, ReturnType<DatabaseSync['prepare']>>();

  function prepare(sql: string): SqliteStatement {
    let statement = cache.get(sql);
    if (!statement) {
      statement = raw.prepare(sql);
      if (cache.size > 500) cache.clear();
      cache.set(sql, statement);
    }
    const prepared = statement;
    return {
      reader: prepared.columns().length > 0,
      all: (parameters: readonly unknown[]) => prepared.all(...(parameters as SQLInputValue[])),
      run(parameters: readonly unknown[]) {
        const result = prepared.run(...(parameters as SQLInputValue[]));
        return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
      },
      iterate: (parameters: readonly unknown[]) => prepared.iterate(...(parameters as SQLInputValue[])),
    };
  }

  return {
    raw,
    prepare,
    close() {
      cache.clear();
      raw.close();
    },
  };
}
