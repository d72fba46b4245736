import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type Database, migrateToLatest, openDatabase } from '../../src/platform/index.ts';
import {
  assertBackupAllowed,
  closeDays,
  epochDay,
  msPerDay,
  reconcileUsage,
  recordConsumption,
  refreshQuotaStates,
  subtreeUsageHistory,
  subtreeUsageNow,
  subtreeUsageOnDay,
} from '../../src/usage/index.ts';
import { type BenchTree, buildTree, seededRandom, setQuota } from './dataset.ts';
import { percentiles, type UsageBenchResult, updateBenchmarkSection } from './report.ts';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UNITS = Number(process.env.COFFER_BENCH_USAGE_UNITS ?? 10_000);
const SOURCES = Number(process.env.COFFER_BENCH_USAGE_SOURCES ?? 50_000);
const DAYS = Number(process.env.COFFER_BENCH_USAGE_DAYS ?? 365);
const CHANGES_PER_DAY = 200;
const GB = 1_000_000_000;
const lastDay = epochDay(2026, 6, 30);
const firstDay = lastDay - DAYS + 1;

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function timed(iterations: number, call: (i: number) => Promise<unknown>) {
  const samples: number[] = [];
  await call(0); // warm the statement cache
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await call(i);
    samples.push(ms(start));
  }
  return percentiles(samples);
}

interface Source {
  id: string;
  buId: string | null;
  stored: number;
}

/** 50,000 sources: mostly on departments, some on customers, 0.2 % assigned to no unit. */
function planSources(tree: BenchTree, random: () => number): Source[] {
  return Array.from({ length: SOURCES }, (_, i) => {
    const r = random();
    const buId =
      r < 0.002
        ? null
        : r < 0.2
          ? (tree.customers[Math.floor(random() * tree.customers.length)] as string)
          : (tree.departments[Math.floor(random() * tree.departments.length)] as string);
    return { id: `ds-${i}`, buId, stored: Math.floor((1 + random() * 499) * GB) };
  });
}

async function record(database: Database, source: Source, day: number): Promise<void> {
  await recordConsumption(database, {
    dataSourceId: source.id,
    buId: source.buId,
    day,
    protectedBytes: source.stored * 3,
    storedBytes: source.stored,
    transferredBytes: Math.floor(source.stored / 50),
    snapshotCount: 1 + (day % 30),
    clientActive: true,
    asOf: day * msPerDay + 3_600_000,
  });
}

async function runDialect(label: string, database: Database, databaseFile: string | null): Promise<UsageBenchResult> {
  const loadAtStart = loadavg()[0] ?? 0;
  const random = seededRandom(7);
  const buildStart = process.hrtime.bigint();
  await migrateToLatest(database.kysely);
  const tree = await buildTree(database, UNITS);
  log(`${label}: tree of ${tree.descendants} units below the root`);
  const sources = planSources(tree, random);

  const recordStart = process.hrtime.bigint();
  for (const source of sources) await record(database, source, firstDay);
  const recordPerSecond = sources.length / (ms(recordStart) / 1000);
  log(`${label}: day one, ${sources.length} samples at ${recordPerSecond.toFixed(0)}/s`);

  const closeTimes: number[] = [];
  for (let day = firstDay + 1; day <= lastDay; day++) {
    const start = process.hrtime.bigint();
    await closeDays(database, day * msPerDay + 300_000);
    closeTimes.push(ms(start));
    for (let i = 0; i < CHANGES_PER_DAY; i++) {
      const source = sources[Math.floor(random() * sources.length)] as Source;
      source.stored = Math.floor(source.stored * (0.9 + random() * 0.3));
      await record(database, source, day);
    }
    if ((day - firstDay) % 30 === 0)
      log(`${label}: day ${day - firstDay + 1}/${DAYS}, close ${closeTimes.at(-1)?.toFixed(0)} ms`);
  }
  const buildSeconds = ms(buildStart) / 1000;
  const samples = SOURCES * DAYS;
  log(`${label}: year built in ${buildSeconds.toFixed(0)} s`);

  const reseller = tree.resellers[0] as string;
  const department = tree.departments[0] as string;
  await setQuota(database, tree.root, 10_000_000 * GB, 20_000_000 * GB);
  await setQuota(database, reseller, 300_000 * GB, 400_000 * GB);

  const result: UsageBenchResult = {
    dialect: label,
    units: tree.descendants,
    dataSources: SOURCES,
    days: DAYS,
    samples,
    buildSeconds,
    databaseBytes: databaseFile ? statSync(databaseFile).size + walSize(databaseFile) : null,
    recordPerSecond,
    closeDay: percentiles(closeTimes),
    rollupRootNow: await timed(200, () => subtreeUsageNow(database, tree.root)),
    rollupResellerNow: await timed(200, () => subtreeUsageNow(database, reseller)),
    rollupRootPastDay: await timed(200, (i) =>
      subtreeUsageOnDay(database, tree.root, firstDay + ((i * 37) % (DAYS - 1))),
    ),
    historyRoot365: await timed(100, () => subtreeUsageHistory(database, tree.root, firstDay, lastDay)),
    historyReseller365: await timed(100, () => subtreeUsageHistory(database, reseller, firstDay, lastDay)),
    backupCheck: await timed(200, () => assertBackupAllowed(database, department)),
    reconciliation: await timed(20, () => reconcileUsage(database)),
    quotaRefreshSeconds: 0,
    loadAverage: { start: loadAtStart, end: 0 },
  };
  const refreshStart = process.hrtime.bigint();
  await refreshQuotaStates(database, lastDay * msPerDay + 7_200_000);
  result.quotaRefreshSeconds = ms(refreshStart) / 1000;
  result.loadAverage.end = loadavg()[0] ?? 0;
  log(
    `${label}: root now p99 ${result.rollupRootNow.p99.toFixed(1)} ms, root history p99 ${result.historyRoot365.p99.toFixed(1)} ms`,
  );
  return result;
}

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

const results: UsageBenchResult[] = [];
const workDir = join(PROJECT_ROOT, 'bench', '.work', 'usage');
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
const sqliteFile = join(workDir, 'usage.db');
const sqlite = await openDatabase(`sqlite:${sqliteFile}`);
try {
  results.push(await runDialect('SQLite', sqlite, sqliteFile));
} finally {
  await sqlite.close();
}

const postgresUrl = process.env.COFFER_BENCH_POSTGRES_URL;
if (postgresUrl) {
  const schema = `coffer_bench_usage_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const database = await openDatabase(postgresUrl, { searchPath: schema });
  try {
    results.push(await runDialect('PostgreSQL', database, null));
  } finally {
    await database.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}
rmSync(workDir, { recursive: true, force: true });

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
const full = UNITS === 10_000 && SOURCES === 50_000 && DAYS === 365;
if (full) {
  process.stdout.write(`${updateBenchmarkSection(join(PROJECT_ROOT, 'BENCHMARKS.md'), results, machine)}\n`);
} else {
  log('smaller than the documented size: BENCHMARKS.md left unchanged');
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
