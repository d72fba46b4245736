// Measures Coffer's two SQLite driver candidates through Kysely on the same workload:
// node:sqlite (built into Node 24) and better-sqlite3 (13.x; not a project dependency).
//   npm install --prefix /tmp/bsq better-sqlite3@^13
//   BETTER_SQLITE3=/tmp/bsq/node_modules/better-sqlite3 npx node bench/sqlite-driver/run.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import { openSqlite } from '../../src/platform/database/sqlite-driver.ts';

type Tables = { items: { id: string; bu: string; size: number; created_at: number } };

async function workload(name: string, open: (path: string) => SqliteDatabase): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-sqlite-bench-'));
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: open(join(dir, 'bench.db')) }) });
  await db.schema
    .createTable('items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('bu', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('items_bu').on('items').column('bu').execute();
  const results: Record<string, number> = {};

  let start = performance.now();
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < 100_000; i++) {
      await trx
        .insertInto('items')
        .values({ id: `id-${i}`, bu: `bu-${i % 1000}`, size: i * 7, created_at: i })
        .execute();
    }
  });
  results['100k single-row inserts in one transaction (s)'] = (performance.now() - start) / 1000;

  start = performance.now();
  for (let i = 0; i < 20_000; i++) {
    await db
      .selectFrom('items')
      .selectAll()
      .where('id', '=', `id-${(i * 7919) % 100_000}`)
      .executeTakeFirst();
  }
  results['20k point selects (s)'] = (performance.now() - start) / 1000;

  start = performance.now();
  for (let i = 0; i < 1000; i++) {
    await db
      .selectFrom('items')
      .select((eb) => eb.fn.sum<number>('size').as('total'))
      .where('bu', '=', `bu-${i}`)
      .executeTakeFirst();
  }
  results['1k indexed aggregates (s)'] = (performance.now() - start) / 1000;

  start = performance.now();
  for (let i = 0; i < 2000; i++) {
    await db.updateTable('items').set({ size: i }).where('id', '=', `id-${i}`).execute();
  }
  results['2k autocommit updates (s)'] = (performance.now() - start) / 1000;

  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
  console.log(name);
  for (const [k, v] of Object.entries(results)) console.log(`  ${k.padEnd(48)} ${v.toFixed(3)}`);
  return results;
}

await workload('node:sqlite', (path) => openSqlite(path));

const betterPath = process.env.BETTER_SQLITE3;
if (betterPath) {
  const require = createRequire(import.meta.url);
  const Better = require(betterPath) as new (path: string) => SqliteDatabase & { pragma(s: string): unknown };
  await workload('better-sqlite3', (path) => {
    const database = new Better(path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    return database;
  });
} else {
  console.log('better-sqlite3: set BETTER_SQLITE3 to its package folder to compare');
}
