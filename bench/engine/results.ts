import type { CorpusSummary } from './corpus.ts';
import type { MutationSummary } from './mutate.ts';
import type { ToolName } from './tools.ts';

export const PHASES = ['initial', 'unchanged', 'mutated', 'restore'] as const;
export type PhaseName = (typeof PHASES)[number];

export const PHASE_TITLES: Record<PhaseName, string> = {
  initial: 'Initial backup',
  unchanged: 'No-change backup',
  mutated: 'Backup after mutation',
  restore: 'Full restore',
};

export interface PhaseResult {
  readonly seconds: number;
  /** Bytes of the tree the phase covers (the corpus, or the mutated corpus). */
  readonly bytes: number;
  readonly mibPerSecond: number;
  readonly peakRssBytes: number;
  /** CPU time of the tool's processes. */
  readonly cpuSeconds: number;
  /** Cores that other processes on the machine kept busy, on average, during the phase. */
  readonly backgroundCores: number;
  /** What the tool printed, when it prints a summary (coffer's --json). */
  readonly output?: unknown;
  /**
   * The seconds of each run, in the order run, for a phase measured more than once (the
   * restore); the figures above are then the fastest run's, `peakRssBytes` the largest.
   */
  readonly runs?: readonly number[];
}

export interface RestoreCheck {
  readonly identical: boolean;
  readonly files: number;
  readonly bytes: number;
  readonly missing: number;
  readonly extra: number;
  readonly contentDiffers: number;
  readonly metadataDiffers: number;
  /** A few differing paths, to start looking from. */
  readonly examples: string[];
}

export interface ToolResult {
  readonly name: ToolName;
  available: boolean;
  version?: string;
  /** Why the tool was not measured (not installed, CLI not there yet). */
  unavailableReason?: string;
  /** The first failure, after which the tool's remaining phases were skipped. */
  error?: string;
  readonly phases: Partial<Record<PhaseName, PhaseResult>>;
  repoBytesAfterInitial?: number;
  repoBytesFinal?: number;
  restoreCheck?: RestoreCheck;
  stats?: unknown;
}

export interface MachineFacts {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly filesystem: string;
  readonly droppedCaches: boolean;
  /** 1-minute load average when the run started. */
  readonly loadAverageAtStart: number;
}

export interface TargetRow {
  readonly figure: string;
  /** coffer's figure divided by restic's (for throughputs: restic's seconds over coffer's). */
  readonly ratio: number | null;
  readonly comparison: '>=' | '<=';
  readonly target: number;
  readonly result: 'PASS' | 'MISS' | 'not available';
  /**
   * For throughput rows, restic's CPU seconds over coffer's: not a target, but the figure
   * that survives a machine shared with other work, where wall-clock ratios swing.
   */
  readonly cpuRatio?: number;
  readonly note?: string;
}

export interface BenchmarkResults {
  readonly format: 1;
  readonly machine: MachineFacts;
  readonly corpus: CorpusSummary & {
    readonly seed: string;
    readonly requestedBytes: number;
    readonly generateSeconds: number;
  };
  readonly mutation: MutationSummary & {
    readonly bytesAfter: number;
    readonly filesAfter: number;
    readonly seconds: number;
  };
  readonly tools: ToolResult[];
  readonly targets: TargetRow[];
  readonly totalSeconds: number;
}
