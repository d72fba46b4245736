import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { DialectResult } from './run.ts';

const SECTION = '## Tenancy';
const START = '<!-- tenancy-results:start -->';
const END = '<!-- tenancy-results:end -->';
const INTRO = [
  'Business-unit tree on a closure table (`bench/tenancy/`): 100,000 units, 12 levels (root at 0,',
  'units down to depth 11), built as 10 branches of 10,000 units each shaped as random recursive',
  'trees, then `ANALYZE`. Times are per call through the tenancy store or service functions (Kysely, no HTTP).',
  'Reproduce: `npm run bench:tenancy` (SQLite; add `COFFER_BENCH_POSTGRES_URL=postgres://…` for',
  'PostgreSQL too). Targets on SQLite: subtree check p99 < 1 ms; moving a 10,000-unit subtree < 2 s.',
  'Wall times are what a caller waited on the measuring machine, which other work may share (see the',
  'load average); for SQLite, which runs inside the Node process, the mean CPU time of that thread per',
  'call (and per move) is given too: it is the cost of the operation itself.',
].join('\n');

const f = (value: number) => (value < 10 ? value.toFixed(3) : value.toFixed(1));

/** The results as Markdown tables. */
export function renderMarkdown(results: readonly DialectResult[], machine: string): string {
  const lines = [`Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`, ''];
  lines.push(`| | ${results.map((r) => r.dialect).join(' | ')} |`);
  lines.push(`|---|${results.map(() => '---:').join('|')}|`);
  const row = (label: string, cell: (r: DialectResult) => string) =>
    lines.push(`| ${label} | ${results.map(cell).join(' | ')} |`);
  row('units / closure rows', (r) => `${r.units.toLocaleString('en')} / ${r.closureRows.toLocaleString('en')}`);
  row('bulk build (set-based SQL)', (r) => `${r.buildSeconds.toFixed(1)} s`);
  row('database size', (r) => (r.databaseBytes ? `${(r.databaseBytes / 2 ** 20).toFixed(0)} MiB` : '–'));
  const timed = (r: DialectResult, key: 'subtreeCheck' | 'listChildren' | 'countSubtree') => {
    const m = r[key];
    const wall = `${f(m.p50)} / ${f(m.p99)} ms`;
    return r.dialect === 'SQLite' ? `${wall} (CPU mean ${f(m.cpuMeanMs)})` : wall;
  };
  row('"is B inside P\'s subtree" p50 / p99 (20,000 pairs)', (r) => timed(r, 'subtreeCheck'));
  row('list children, page of 50, p50 / p99 (2,000 units)', (r) => timed(r, 'listChildren'));
  row('count a subtree p50 / p99 (2,000 units)', (r) => timed(r, 'countSubtree'));
  row('count the whole tree (100,000)', (r) => `${f(r.countWhole)} ms`);
  const moveTimes = (r: DialectResult) => r.moves.map((m) => m.ms).sort((a, b) => a - b);
  row(
    '1-minute load average at start / end',
    (r) => `${r.loadAverage.start.toFixed(1)} / ${r.loadAverage.end.toFixed(1)}`,
  );
  row('move a 10,000-unit subtree, median / max (6 moves)', (r) => {
    const t = moveTimes(r);
    return `${(t[Math.floor(t.length / 2)] ?? 0).toFixed(0)} / ${(t.at(-1) ?? 0).toFixed(0)} ms`;
  });
  lines.push(
    '',
    'Each move (service `moveUnit`: access checks, cycle and depth checks, closure rewrite, depth update, audit entry, one transaction). Wall time; for SQLite also the CPU time of the process, which runs the database in-process and is what the move costs when the machine is not shared:',
    '',
  );
  lines.push(`| move | closure rows deleted + inserted | ${results.map((r) => r.dialect).join(' | ')} |`);
  lines.push(`|---|---:|${results.map(() => '---:').join('|')}|`);
  results[0]?.moves.forEach((m, i) => {
    const rows = m.units * (m.fromDepth + 1) + m.units * (m.toDepth + 1);
    const cells = results.map((r) => {
      const move = r.moves[i];
      if (!move) return '–';
      return r.dialect === 'SQLite'
        ? `${move.ms.toFixed(0)} ms (CPU ${move.cpuMs.toFixed(0)} ms)`
        : `${move.ms.toFixed(0)} ms`;
    });
    lines.push(
      `| ${m.units.toLocaleString('en')} units, parent depth ${m.fromDepth} → ${m.toDepth} | ${rows.toLocaleString('en')} | ${cells.join(' | ')} |`,
    );
  });
  return lines.join('\n');
}

/** Replaces the generated block of the `## Tenancy` section (creating file or section as needed). */
export function updateBenchmarkSection(
  path: string,
  results: readonly DialectResult[],
  machine: string,
  write: boolean,
): string {
  const markdown = renderMarkdown(results, machine);
  if (!write) return markdown;
  const block = `${START}\n${markdown}\n${END}`;
  let text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start !== -1 && end > start) text = `${text.slice(0, start)}${block}${text.slice(end + END.length)}`;
  else text = `${text.trimEnd()}\n\n${SECTION}\n\n${INTRO}\n\n${block}\n`;
  writeFileSync(path, text);
  return markdown;
}
