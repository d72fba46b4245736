import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** p50/p99/max of a list of milliseconds. */
export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0, n: sorted.length };
}

export interface UsageBenchResult {
  dialect: string;
  units: number;
  dataSources: number;
  days: number;
  samples: number;
  buildSeconds: number;
  databaseBytes: number | null;
  recordPerSecond: number;
  closeDay: Percentiles;
  rollupRootNow: Percentiles;
  rollupResellerNow: Percentiles;
  rollupRootPastDay: Percentiles;
  historyRoot365: Percentiles;
  historyReseller365: Percentiles;
  backupCheck: Percentiles;
  reconciliation: Percentiles;
  quotaRefreshSeconds: number;
  loadAverage: { start: number; end: number };
}

const SECTION = '## Usage';
const START = '<!-- usage-results:start -->';
const END = '<!-- usage-results:end -->';
const INTRO = [
  'Consumption roll-ups (`bench/usage/`): an MSP root with 10,000 descendant units (50 resellers,',
  '500 customers, 9,450 departments) and 50,000 data sources, one year of daily samples written',
  'through the real write path (`recordConsumption` for every source on day one and 200 changed',
  'sources a day, the nightly `closeDays` carrying the rest forward and finalizing each day).',
  'Reads go through the usage module’s functions (Kysely, no HTTP). Reproduce: `npm run bench:usage`',
  '(SQLite; add `COFFER_BENCH_POSTGRES_URL=postgres://…` for PostgreSQL too). Target on SQLite:',
  'subtree roll-up and 365-day history of the root each < 200 ms p99.',
].join('\n');

const f = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const p = (x: Percentiles) => `${f(x.p50)} / ${f(x.p99)} ms`;

export function renderMarkdown(results: readonly UsageBenchResult[], machine: string): string {
  const lines = [`Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`, ''];
  lines.push(`| | ${results.map((r) => r.dialect).join(' | ')} |`);
  lines.push(`|---|${results.map(() => '---:').join('|')}|`);
  const row = (label: string, cell: (r: UsageBenchResult) => string) =>
    lines.push(`| ${label} | ${results.map(cell).join(' | ')} |`);
  row(
    'units below the root / data sources / days',
    (r) => `${r.units.toLocaleString('en')} / ${r.dataSources.toLocaleString('en')} / ${r.days}`,
  );
  row('samples written (incl. carried forward)', (r) => r.samples.toLocaleString('en'));
  row('building the year', (r) => `${r.buildSeconds.toFixed(0)} s`);
  row('database size', (r) => (r.databaseBytes ? `${(r.databaseBytes / 2 ** 20).toFixed(0)} MiB` : '–'));
  row('`recordConsumption` (one sample, one transaction)', (r) => `${r.recordPerSecond.toFixed(0)} / s`);
  row('nightly `closeDays` (carry 50,000 forward + finalize), p50 / p99', (r) => p(r.closeDay));
  row('**root (10,000 units) roll-up now**, p50 / p99', (r) => `**${p(r.rollupRootNow)}**`);
  row('root roll-up on a past day, p50 / p99', (r) => p(r.rollupRootPastDay));
  row('**root 365-day history**, p50 / p99', (r) => `**${p(r.historyRoot365)}**`);
  row('reseller (200 units) roll-up now, p50 / p99', (r) => p(r.rollupResellerNow));
  row('reseller 365-day history, p50 / p99', (r) => p(r.historyReseller365));
  row('`assertBackupAllowed` for a department (quotas at root and reseller), p50 / p99', (r) => p(r.backupCheck));
  row('operator reconciliation now, p50 / p99', (r) => p(r.reconciliation));
  row('quota refresh of every unit (10,001)', (r) => `${r.quotaRefreshSeconds.toFixed(1)} s`);
  row(
    '1-minute load average at start / end',
    (r) => `${r.loadAverage.start.toFixed(1)} / ${r.loadAverage.end.toFixed(1)}`,
  );
  return lines.join('\n');
}

/** Replaces (or appends) the `## Usage` section of BENCHMARKS.md, creating the file if missing. */
export function updateBenchmarkSection(file: string, results: readonly UsageBenchResult[], machine: string): string {
  const body = `${INTRO}\n\n${START}\n${renderMarkdown(results, machine)}\n${END}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  let next: string;
  if (start >= 0 && end > start) {
    next = `${current.slice(0, start)}${START}\n${renderMarkdown(results, machine)}\n${current.slice(end)}`;
  } else if (current.includes(SECTION)) {
    const at = current.indexOf(SECTION) + SECTION.length;
    next = `${current.slice(0, at)}\n\n${body}\n${current.slice(at).replace(/^\n+/, '\n')}`;
  } else {
    next = `${current.trimEnd()}\n\n${SECTION}\n\n${body}\n`;
  }
  writeFileSync(file, next);
  return renderMarkdown(results, machine);
}
