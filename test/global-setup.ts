import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Test files create PostgreSQL schemas named coffer_test_<run>_<random>. Dropping them
 * while other files run races with Kysely's catalogue introspection, so this run's schemas
 * are dropped once, after the whole run. Runs of other checkouts (or developers) sharing
 * the database keep theirs; schemas of runs older than a day (killed runs) are removed.
 */
const staleAfterSeconds = 24 * 3600;

async function dropSchemas(select: (name: string) => boolean): Promise<void> {
  const url = process.env.COFFER_TEST_POSTGRES_URL;
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "select nspname as name from pg_namespace where nspname like 'coffer\\_test\\_%'",
    );
    for (const { name } of rows) {
      if (select(name)) await client.query(`drop schema if exists "${name}" cascade`);
    }
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<() => Promise<void>> {
  const startedAt = Math.floor(Date.now() / 1000);
  const run = `${startedAt.toString(36)}${randomBytes(3).toString('hex')}`;
  // Inherited by the test workers, which name their schemas after it.
  process.env.COFFER_TEST_RUN = run;
  await dropSchemas((name) => {
    const stamp = /^coffer_test_([0-9a-z]+?)[0-9a-f]{6}_/.exec(name)?.[1];
    const seconds = stamp ? Number.parseInt(stamp, 36) : 0;
    return startedAt - seconds > staleAfterSeconds;
  });
  return () => dropSchemas((name) => name.startsWith(`coffer_test_${run}_`));
}
