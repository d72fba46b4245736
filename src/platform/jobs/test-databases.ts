import { afterEach } from 'vitest';
import type { TestDatabase, TestDatabaseFactory } from '../../../test/helpers/databases.ts';
import type { Database } from '../database/connect.ts';

/**
 * For the jobs tests: a `create()` whose database and every `reopen()` of it are closed
 * after each test rather than when the file ends, so the suite holds few PostgreSQL
 * connections at a time (the server's limit is shared with every other running suite).
 * Call inside the suite, before registering hooks that must run while the database is open.
 */
export function perTestDatabases(factory: TestDatabaseFactory, poolSize = 3): () => Promise<TestDatabase> {
  const opened: Database[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close().catch(() => {})));
  });
  return async () => {
    const database = await factory.create({ poolSize });
    opened.push(database);
    return {
      ...database,
      async reopen(options) {
        const handle = await database.reopen({ poolSize: options?.poolSize ?? poolSize });
        opened.push(handle);
        return handle;
      },
    };
  };
}
