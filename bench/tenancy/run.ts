import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import {
  type Database,
  ForbiddenError,
  ManualClock,
  migrateToLatest,
  NotFoundError,
  newId,
  openDatabase,
} from '../../src/platform/index.ts';
import { isInSubtree, type TenancyContext, tenancyDb } from '../../src/tenancy/index.ts';
import { moveUnit } from '../../src/tenancy/move-service.ts';
import { countSubtree, listChildren } from '../../src/tenancy/store.ts';
import { type BenchTables, buildTree, MAX_DEPTH } from './build.ts';
import { updateBenchmarkSection } from './report.ts';
import { percentiles, planTree, seededRandom } from './tree-shape.ts';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TOTAL = Number(process.env.COFFER_BENCH_UNITS ?? 100_000);
const BRANCHES = 10;

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Wall-time samples of one operation, plus the main thread's CPU time over all of them
 * (node:sqlite runs on this thread, so for SQLite that is the work itself). Per-call CPU
 * times are not used: the kernel accounts thread CPU time in scheduler ticks.
 */
class Samples {
  readonly wall: number[] = [];
  #cpuMicros = 0;
  async time<T>(operation: () => Promise<T>): Promise<T> {
    const cpu = process.threadCpuUsage();
    const start = process.hrtime.bigint();
    const result = await operation();
    this.wall.push(ms(start));
    const used = process.threadCpuUsage(cpu);
    this.#cpuMicros += used.user + used.system;
    return result;
  }
  summary() {
    return { ...percentiles(this.wall), cpuMeanMs: this.#cpuMicros / 1000 / Math.max(1, this.wall.length) };
  }
}

/** A context with every privilege at the root; the audit entry is written in the move's transaction. */
function benchContext(database: Database, rootId: string): TenancyContext {
  return {
    principal: {
      kind: 'user',
      credentialId: 'bench',
      userId: 'bench',
      scopeBuId: rootId,
      roleId: 'bench',
      privileges: new Set(['bu.move']),
      displayName: 'Benchmark',
    },
    access: {
      async require(privilege, buId, what = 'Resource') {
        if (!(await isInSubtree(database, rootId, buId))) throw new NotFoundError(what);
        if (privilege !== 'bu.move') throw new ForbiddenError(privilege);
      },
      reaches: (buId) => isInSubtree(database, rootId, buId),
      holds: (privilege) => privilege === 'bu.move',
    },
    audit: {
      async record(event, trx) {
        await (trx as Kysely<BenchTables>)
          .insertInto('bench_audit')
          .values({ id: newId(), action: event.action, bu_id: event.buId, after: JSON.stringify(event.after ?? null) })
          .execute();
      },
    },
    database,
    clock: new ManualClock(Date.UTC(2026, 0, 2)),
  };
}

export interface DialectResult {
  dialect: string;
  units: number;
  closureRows: number;
  maxDepth: number;
  buildSeconds: number;
  databaseBytes: number | null;
  subtreeCheck: ReturnType<Samples['summary']>;
  listChildren: ReturnType<Samples['summary']>;
  countSubtree: ReturnType<Samples['summary']>;
  countWhole: number;
  moves: { units: number; fromDepth: number; toDepth: number; ms: number; cpuMs: number }[];
  loadAverage: { start: number; end: number };
}

async function measure(database: Database, label: string): Promise<DialectResult> {
  const plan = planTree({ total: TOTAL, branches: BRANCHES, maxDepth: MAX_DEPTH, seed: 20260101 });
  const loadAtStart = loadavg()[0] ?? 0;
  log(`${label}: building ${plan.length} units`);
  const buildStart = process.hrtime.bigint();
  const ids = await buildTree(database, plan);
  const buildSeconds = ms(buildStart) / 1000;
  const db = tenancyDb(database);
  const closureRows = await countSubtree(db, ids[0]!).then(async () =>
    Number((await sql<{ n: number }>`select count(*) as n from bu_closure`.execute(database.kysely)).rows[0]?.n),
  );
  log(`${label}: built in ${buildSeconds.toFixed(1)} s, ${closureRows} closure rows`);

  const random = seededRandom(7);
  const pick = () => Math.floor(random() * plan.length);
  const ancestorOf = (i: number) => {
    let a = i;
    const steps = Math.floor(random() * 6);
    for (let s = 0; s < steps && plan[a]!.parent !== -1; s++) a = plan[a]!.parent;
    return a;
  };

  // Warm-up, so the first samples do not measure statement preparation and cold pages.
  for (let i = 0; i < 2000; i++) await isInSubtree(db, ids[pick()]!, ids[pick()]!);

  const checks = new Samples();
  let inside = 0;
  for (let i = 0; i < 20_000; i++) {
    const b = pick();
    // Half the pairs are true ancestor/descendant pairs, half random (almost always outside).
    const p = i % 2 === 0 ? ancestorOf(b) : pick();
    if (await checks.time(() => isInSubtree(db, ids[p]!, ids[b]!))) inside++;
  }
  log(`${label}: subtree check done (${inside} of ${checks.wall.length} inside)`);

  const parents = [...new Set(plan.map((u) => u.parent).filter((p) => p >= 0))];
  const children = new Samples();
  for (let i = 0; i < 2000; i++) {
    const id = ids[parents[Math.floor(random() * parents.length)]!]!;
    await children.time(() => listChildren(db, id, { limit: 50 }));
  }

  const counts = new Samples();
  for (let i = 0; i < 2000; i++) {
    const id = ids[ancestorOf(pick())]!;
    await counts.time(() => countSubtree(db, id));
  }
  const wholeStart = process.hrtime.bigint();
  await countSubtree(db, ids[0]!);
  const countWhole = ms(wholeStart);
  log(`${label}: list children and count done`);

  // Move a whole 10,000-unit branch under units at growing depths of another branch, and back.
  const ctx = benchContext(database, ids[0]!);
  const branchRoots = plan.flatMap((u, i) => (u.depth === 1 ? [i] : []));
  const moves: DialectResult['moves'] = [];
  for (let round = 0; round < 3; round++) {
    const moving = branchRoots[round]!;
    const targetBranch = branchRoots[round + 5]!;
    const targetDepth = [2, 6, 11][round]!;
    const target = plan.findIndex(
      (u, i) => u.depth === targetDepth && i > targetBranch && isUnder(plan, i, targetBranch),
    );
    for (const [to, toDepth] of [
      [target, targetDepth],
      [0, 0],
    ] as const) {
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const result = await moveUnit(ctx, ids[moving]!, ids[to]!);
      const used = process.cpuUsage(cpu);
      moves.push({
        units: result.movedUnits,
        fromDepth: to === 0 ? targetDepth : 0,
        toDepth,
        ms: ms(start),
        cpuMs: (used.user + used.system) / 1000,
      });
      log(`${label}: moved ${result.movedUnits} units under depth ${toDepth} in ${moves.at(-1)!.ms.toFixed(0)} ms`);
    }
  }

  // The closure must still describe the tree: one row per (unit, ancestor-or-self).
  const check = await sql<{ rows: number; expected: number }>`
    select (select count(*) from bu_closure) as rows, (select sum(depth + 1) from business_units) as expected`.execute(
    database.kysely,
  );
  const consistency = check.rows[0];
  if (!consistency || Number(consistency.rows) !== Number(consistency.expected)) {
    throw new Error(`closure table inconsistent after moves: ${JSON.stringify(consistency)}`);
  }

  return {
    dialect: label,
    units: plan.length,
    closureRows,
    maxDepth: Math.max(...plan.map((u) => u.depth)),
    buildSeconds,
    databaseBytes: null,
    subtreeCheck: checks.summary(),
    listChildren: children.summary(),
    countSubtree: counts.summary(),
    countWhole,
    moves,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
  };
}

function isUnder(plan: ReturnType<typeof planTree>, i: number, ancestor: number): boolean {
  let at = i;
  while (at !== -1) {
    if (at === ancestor) return true;
    at = plan[at]!.parent;
  }
  return false;
}

async function runSqlite(): Promise<DialectResult> {
  const dir = join(PROJECT_ROOT, 'bench', '.work', 'tenancy');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'tree.db');
  const database = await openDatabase(`sqlite:${path}`);
  try {
    await migrateToLatest(database.kysely);
    const result = await measure(database, 'SQLite');
    await sql`pragma wal_checkpoint(truncate)`.execute(database.kysely);
    result.databaseBytes = statSync(path).size;
    return result;
  } finally {
    await database.close();
  }
}

async function runPostgres(url: string): Promise<DialectResult> {
  const schema = `coffer_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const database = await openDatabase(url, { searchPath: schema });
  try {
    await migrateToLatest(database.kysely);
    const result = await measure(database, 'PostgreSQL');
    result.databaseBytes = Number(
      (
        await admin.query(
          `select sum(pg_total_relation_size(c.oid)) as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'`,
          [schema],
        )
      ).rows[0]?.n ?? 0,
    );
    return result;
  } finally {
    await database.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

const results: DialectResult[] = [await runSqlite()];
const postgresUrl = process.env.COFFER_BENCH_POSTGRES_URL;
if (postgresUrl) results.push(await runPostgres(postgresUrl));

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
const jsonPath = join(PROJECT_ROOT, 'bench', '.work', 'tenancy-results.json');
mkdirSync(dirname(jsonPath), { recursive: true });
writeFileSync(jsonPath, `${JSON.stringify({ machine, date: new Date().toISOString(), results }, null, 2)}\n`);
const markdown = updateBenchmarkSection(join(PROJECT_ROOT, 'BENCHMARKS.md'), results, machine, TOTAL === 100_000);
process.stdout.write(`\n${markdown}\n`);
