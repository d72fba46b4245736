import pg from 'pg';

/**
 * Test files create PostgreSQL schemas named coffer_test_*. Dropping them while other
 * files run races with Kysely's catalogue introspection, so they are all dropped once,
 * after the whole run (and before it, in case an earlier run was killed).
 */
async function dropTestSchemas(): Promise<void> {
  const url = process.env.COFFER_TEST_POSTGRES_URL;
  if (!url) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "select nspname as name from pg_namespace where nspname like 'coffer\\_test\\_%'",
    );
    for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<() => Promise<void>> {
  await dropTestSchemas();
  return dropTestSchemas;
}
