import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { type BenchmarkResults, PHASE_TITLES, PHASES, type ToolResult } from './results.ts';
import { peakRssOf } from './targets.ts';

const MiB = 1024 * 1024;
const GROUPED = new Intl.NumberFormat('en-US');

const RESULTS_START = '<!-- bench:engine:results:start -->';
const RESULTS_END = '<!-- bench:engine:results:end -->';
const SECTION = '## Engine';
const SECTION_INTRO =
  '`npm run bench:engine` backs up one generated corpus with coffer, restic (`--compression auto`) and ' +
  'BorgBackup (`--compression zstd,3`, `repokey-blake2`) in one run, then restores it and checks every file. ' +
  "The targets are issue 4's, coffer against restic in the same run. How to run it: `bench/README.md`.";

function sizeArgument(bytes: number): string {
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}GiB`;
  if (bytes % MiB === 0) return `${bytes / MiB}MiB`;
  return String(bytes);
}

function files(count: number): string {
  return `${GROUPED.format(count)} ${count === 1 ? 'file' : 'files'}`;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function cell(tool: ToolResult, value: () => string | undefined): string {
  if (!tool.available) return 'not available';
  return value() ?? (tool.error === undefined ? '—' : 'failed');
}

function toolTable(results: BenchmarkResults): string[] {
  const tools = results.tools;
  const lines = [
    `| Measure | ${tools.map((tool) => tool.name).join(' | ')} |`,
    `|---|${tools.map(() => '---:').join('|')}|`,
  ];
  const add = (title: string, value: (tool: ToolResult) => string | undefined): void => {
    lines.push(`| ${title} | ${tools.map((tool) => cell(tool, () => value(tool))).join(' | ')} |`);
  };
  add('Version', (tool) => tool.version);
  for (const phase of PHASES) {
    add(`${PHASE_TITLES[phase]} — seconds`, (tool) => {
      const phaseResult = tool.phases[phase];
      if (phaseResult?.runs === undefined) return phaseResult?.seconds.toFixed(2);
      return `${phaseResult.seconds.toFixed(2)} (runs ${phaseResult.runs.map((seconds) => seconds.toFixed(2)).join(', ')})`;
    });
    add(`${PHASE_TITLES[phase]} — MiB/s`, (tool) => tool.phases[phase]?.mibPerSecond.toFixed(1));
    add(`${PHASE_TITLES[phase]} — peak RSS`, (tool) => {
      const phaseResult = tool.phases[phase];
      return phaseResult === undefined ? undefined : mib(phaseResult.peakRssBytes);
    });
    add(`${PHASE_TITLES[phase]} — CPU s (others' load)`, (tool) => {
      const phaseResult = tool.phases[phase];
      if (phaseResult === undefined) return undefined;
      return `${phaseResult.cpuSeconds.toFixed(1)} (${phaseResult.backgroundCores.toFixed(2)} cores)`;
    });
  }
  add('Restore verified', (tool) => {
    const check = tool.restoreCheck;
    if (check === undefined) return undefined;
    if (check.identical) {
      const metadata = check.metadataDiffers === 0 ? '' : `; mode/mtime differ on ${check.metadataDiffers}`;
      return `identical (${files(check.files)}${metadata})`;
    }
    return `DIFFERS: ${check.missing} missing, ${check.extra} extra, ${check.contentDiffers} changed`;
  });
  add('Repository after initial backup — bytes', (tool) =>
    tool.repoBytesAfterInitial === undefined
      ? undefined
      : `${GROUPED.format(tool.repoBytesAfterInitial)} (${mib(tool.repoBytesAfterInitial)})`,
  );
  add('Repository after three backups — bytes', (tool) =>
    tool.repoBytesFinal === undefined
      ? undefined
      : `${GROUPED.format(tool.repoBytesFinal)} (${mib(tool.repoBytesFinal)})`,
  );
  add('Peak RSS over all phases', (tool) => {
    const peak = peakRssOf(tool);
    return peak === null ? undefined : mib(peak);
  });
  return lines;
}

function targetTable(results: BenchmarkResults): string[] {
  const lines = [
    '| Figure (coffer ÷ restic) | Ratio | Target | Result | CPU-time ratio (not a target) |',
    '|---|---:|---:|---|---:|',
  ];
  for (const target of results.targets) {
    const ratio = target.ratio === null ? 'n/a' : `${target.ratio.toFixed(3)}×`;
    const note = target.note === undefined ? '' : ` (${target.note})`;
    const cpu =
      target.cpuRatio === undefined || !Number.isFinite(target.cpuRatio) ? '' : `${target.cpuRatio.toFixed(2)}×`;
    const bound = `${target.comparison === '>=' ? '≥' : '≤'} ${target.target}×`;
    lines.push(`| ${target.figure} | ${ratio} | ${bound} | ${target.result}${note} | ${cpu} |`);
  }
  lines.push(
    '',
    "The CPU-time ratio is restic's CPU seconds over coffer's in the same phase: where the wall-clock ratio " +
      'tends when neither tool has to share the cores, unless one of them waits on I/O or on itself.',
  );
  return lines;
}

function machineLines(results: BenchmarkResults): string[] {
  const { machine, corpus, mutation } = results;
  const kinds = Object.entries(corpus.kinds)
    .filter(([kind]) => kind !== 'marker')
    .map(([kind, totals]) => `${kind} ${mib(totals.bytes)} in ${files(totals.files)}`)
    .join(', ');
  return [
    `- Date: ${machine.date}; machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${mib(machine.memoryBytes)} RAM, ` +
      `${machine.os}, kernel ${machine.kernel}, Node ${machine.node}, corpus on ${machine.filesystem}.`,
    `- Load average when the run started: ${machine.loadAverageAtStart.toFixed(2)}. "Others' load" is the average ` +
      'number of cores other processes kept busy during a phase; figures measured under load are less comparable.',
    `- Page cache ${machine.droppedCaches ? 'dropped before every measured phase (cold runs)' : 'NOT dropped (not root): later phases may run warm'}.`,
    `- Corpus (seed \`${corpus.seed}\`): ${mib(corpus.bytes)} in ${files(corpus.files)} — ${kinds}; ` +
      `generated in ${corpus.generateSeconds.toFixed(1)} s.`,
    `- Mutation: ${mib(mutation.bytesWritten)} written (${mib(mutation.insertedBytes)} inserted mid-file in ` +
      `${mutation.filesEdited} files, ${mib(mutation.appendedBytes)} appended to ${mutation.filesAppended} logs, ` +
      `${mib(mutation.overwrittenBytes)} overwritten in place, ${mib(mutation.newBytes)} in ${mutation.filesCreated} new files), ` +
      `${mutation.filesDeleted} files deleted, ${mutation.filesMoved} moved; afterwards ${mib(mutation.bytesAfter)} in ` +
      `${GROUPED.format(mutation.filesAfter)} files.`,
    '- Throughput is the bytes of the tree a phase covers divided by its wall-clock seconds; peak RSS sums the ' +
      'whole process tree (the larger of GNU time `%M` and a 50 ms /proc sampler); repository size is `du -sb`.',
    `- Restores: each tool restores twice, in the order ${results.tools.map((tool) => tool.name).join(', ')} and then ` +
      'the reverse, into new folders; the faster run counts (both are listed, both are verified), its peak RSS the ' +
      'larger of the two. On this ext4 the first restore of a run paid 1–2 s of extra kernel time in inode ' +
      'allocation, whichever tool it was (docs/decisions/0025).',
  ];
}

/** The results as Markdown: the facts, the per-tool table and the target table. */
export function renderMarkdown(results: BenchmarkResults): string {
  return [
    ...machineLines(results),
    '',
    ...toolTable(results),
    '',
    ...targetTable(results),
    '',
    `Reproduce: \`npm run bench:engine -- --size ${sizeArgument(results.corpus.requestedBytes)} --seed ${results.corpus.seed}\` ` +
      `(total run ${(results.totalSeconds / 60).toFixed(1)} min).`,
  ].join('\n');
}

/**
 * Replaces the generated part of the `## Engine` section of BENCHMARKS.md (between the
 * results markers), creating the file or the section when missing. Hand-written text in
 * the section outside the markers, and every other section, is kept.
 */
export function updateBenchmarksFile(path: string, markdown: string): void {
  const block = `${RESULTS_START}\n${markdown}\n${RESULTS_END}`;
  let text = existsSync(path)
    ? readFileSync(path, 'utf8')
    : '# Benchmarks\n\nMeasured results of the benchmarks in `bench/` (how to run them: `bench/README.md`).\n';
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start !== -1 && end > start) {
    text = `${text.slice(0, start)}${block}${text.slice(end + RESULTS_END.length)}`;
  } else if (text.includes(`\n${SECTION}\n`)) {
    const at = text.indexOf(`\n${SECTION}\n`) + SECTION.length + 2;
    text = `${text.slice(0, at)}\n${block}\n${text.slice(at)}`;
  } else {
    text = `${text.trimEnd()}\n\n${SECTION}\n\n${SECTION_INTRO}\n\n${block}\n`;
  }
  writeFileSync(path, text);
}
