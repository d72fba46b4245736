import { afterEach } from 'vitest';
import type { TestDatabase, TestDatabaseFactory } from '../../../test/helpers/databases.ts';
import type { Database } from '../database/connect.ts';

export interface JobsTestDatabases {
  /**
   * The suite's database with `jobs` and `job_schedules` emptied: migrating a fresh
   * PostgreSQL schema per test costs seconds once every module's migrations run.
   */
  create(): Promise<TestDatabase>;
  /** A database of its own, for a test that closes it (a "process restart"). */
  fresh(): Promise<TestDatabase>;
}

/**
 * Databases for the jobs tests. Every `reopen()` (and every `fresh()` database) is closed
 * after each test rather than when the file ends, so the suite holds few PostgreSQL
 * connections (the server's limit is shared with every other running suite). Call inside
 * the suite, before registering hooks that must run while the database is still open.
 */
export function jobsTestDatabases(factory: TestDatabaseFactory, poolSize = 3): JobsTestDatabases {
  const opened: Database[] = [];
  let shared: TestDatabase | undefined;
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close().catch(() => {})));
  });

  function tracked(database: TestDatabase): TestDatabase {
    return {
      ...database,
      async reopen(options) {
        const handle = await database.reopen({ poolSize: options?.poolSize ?? poolSize });
        opened.push(handle);
        return handle;
      },
    };
  }

  return {
    async create() {
      shared ??= await factory.create({ poolSize });
      await shared.kysely.deleteFrom('jobs').execute();
      await shared.kysely.deleteFrom('job_schedules').execute();
      return tracked(shared);
    },
    async fresh() {
      const database = await factory.create({ poolSize });
      opened.push(database);
      return tracked(database);
    },
  };
}
