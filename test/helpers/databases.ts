import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';
import { type Database, type DialectName, openDatabase } from '../../src/platform/database/connect.ts';
import { migrateToLatest } from '../../src/platform/database/migrate.ts';

/** PostgreSQL for the suite's PostgreSQL half; unset means that half is not registered. */
export const postgresUrl = process.env.COFFER_TEST_POSTGRES_URL;

export interface TestDatabaseFactory {
  readonly dialect: DialectName;
  /**
   * A fresh, empty database of this dialect (a new SQLite file, or a new PostgreSQL
   * schema), migrated to the latest schema unless `migrate: false`. Closed and removed
   * when the test file ends.
   */
  create(options?: { migrate?: boolean; poolSize?: number }): Promise<TestDatabase>;
}

export interface TestDatabase extends Database {
  /** The URL and search path that reopen the same database (for a second "process"). */
  readonly url: string;
  readonly searchPath: string | undefined;
  reopen(options?: { poolSize?: number }): Promise<Database>;
}

const cleanups: (() => Promise<void>)[] = [];

function sqliteFactory(): TestDatabaseFactory {
  return {
    dialect: 'sqlite',
    async create(options = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'coffer-test-'));
      const url = `sqlite:${join(dir, 'coffer.db')}`;
      const opened: Database[] = [];
      const open = async () => {
        const database = await openDatabase(url);
        opened.push(database);
        return database;
      };
      const database = await open();
      if (options.migrate !== false) await migrateToLatest(database.kysely);
      cleanups.push(async () => {
        for (const d of opened) await d.close().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      });
      return { ...database, url, searchPath: undefined, reopen: () => open() };
    },
  };
}

function postgresFactory(adminUrl: string): TestDatabaseFactory {
  return {
    dialect: 'postgres',
    async create(options = {}) {
      const schema = `coffer_test_${process.env.COFFER_TEST_RUN ?? 'adhoc'}_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      await admin.end();
      const opened: Database[] = [];
      const open = async (poolSize?: number) => {
        const database = await openDatabase(adminUrl, {
          searchPath: schema,
          poolSize: poolSize ?? options.poolSize ?? 5,
        });
        opened.push(database);
        return database;
      };
      const database = await open();
      if (options.migrate !== false) await migrateToLatest(database.kysely);
      // The schema itself is dropped after the whole run (test/global-setup.ts).
      cleanups.push(async () => {
        for (const d of opened) await d.close().catch(() => {});
      });
      return { ...database, url: adminUrl, searchPath: schema, reopen: (o) => open(o?.poolSize) };
    },
  };
}

/** The dialects this run covers: SQLite always, PostgreSQL when COFFER_TEST_POSTGRES_URL is set. */
export const databaseFactories: readonly TestDatabaseFactory[] = [
  sqliteFactory(),
  ...(postgresUrl ? [postgresFactory(postgresUrl)] : []),
];

/**
 * Registers the same suite once per dialect: `describeEachDatabase('jobs', (factory) => { … })`.
 * The PostgreSQL copy exists only when COFFER_TEST_POSTGRES_URL is set (CI always sets it).
 */
export function describeEachDatabase(name: string, suite: (factory: TestDatabaseFactory) => void): void {
  for (const factory of databaseFactories) {
    describe(`${name} [${factory.dialect}]`, () => suite(factory));
  }
}

/** Closes and removes every database this test file created (registered by test/setup.ts). */
export async function removeTestDatabases(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()?.();
}
