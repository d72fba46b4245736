import type { PhaseName, TargetRow, ToolResult } from './results.ts';

/** Issue 4's targets, coffer against restic in the same run. Never lower one. */
const SPEED_TARGETS: ReadonlyArray<{ phase: PhaseName; figure: string; target: number }> = [
  { phase: 'initial', figure: 'Initial backup throughput', target: 1.5 },
  { phase: 'unchanged', figure: 'No-change backup throughput', target: 2 },
  { phase: 'mutated', figure: 'Backup-after-mutation throughput', target: 1.5 },
  { phase: 'restore', figure: 'Restore throughput', target: 1.5 },
];
const REPOSITORY_SIZE_TARGET = 1;
const PEAK_RSS_TARGET = 1;

/** The largest peak RSS over the four phases, or null unless all four were measured. */
export function peakRssOf(tool: ToolResult): number | null {
  const peaks = Object.values(tool.phases).map((phase) => phase.peakRssBytes);
  return peaks.length < 4 ? null : Math.max(...peaks);
}

function row(figure: string, ratio: number | null, comparison: '>=' | '<=', target: number, note?: string): TargetRow {
  if (ratio === null || !Number.isFinite(ratio)) {
    return { figure, ratio: null, comparison, target, result: 'not available', ...(note ? { note } : {}) };
  }
  const pass = comparison === '>=' ? ratio >= target : ratio <= target;
  return { figure, ratio, comparison, target, result: pass ? 'PASS' : 'MISS', ...(note ? { note } : {}) };
}

/**
 * Rates coffer against restic. A throughput ratio is restic's seconds over coffer's on the
 * same bytes; size and memory ratios are coffer's over restic's. A restore that was not
 * byte-identical is a MISS whatever its speed.
 */
export function evaluateTargets(coffer: ToolResult | undefined, restic: ToolResult | undefined): TargetRow[] {
  const measured = coffer?.available === true && restic?.available === true;
  const rows: TargetRow[] = SPEED_TARGETS.map(({ phase, figure, target }) => {
    const mine = coffer?.phases[phase];
    const theirs = restic?.phases[phase];
    if (!measured || mine === undefined || theirs === undefined) return row(figure, null, '>=', target);
    const ratio = theirs.seconds / mine.seconds;
    const cpuRatio = theirs.cpuSeconds / mine.cpuSeconds;
    if (phase === 'restore' && coffer?.restoreCheck?.identical !== true) {
      return {
        figure,
        ratio,
        comparison: '>=',
        target,
        result: 'MISS',
        cpuRatio,
        note: 'restored tree was not identical',
      };
    }
    return { ...row(figure, ratio, '>=', target), cpuRatio };
  });
  const mineBytes = coffer?.repoBytesFinal;
  const theirBytes = restic?.repoBytesFinal;
  rows.push(
    row(
      'Repository size after the three backups',
      measured && mineBytes !== undefined && theirBytes !== undefined ? mineBytes / theirBytes : null,
      '<=',
      REPOSITORY_SIZE_TARGET,
    ),
  );
  const minePeak = coffer === undefined ? null : peakRssOf(coffer);
  const theirPeak = restic === undefined ? null : peakRssOf(restic);
  rows.push(
    row(
      'Peak RSS (largest phase)',
      measured && minePeak !== null && theirPeak !== null ? minePeak / theirPeak : null,
      '<=',
      PEAK_RSS_TARGET,
    ),
  );
  return rows;
}
