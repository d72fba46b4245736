import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TOOL_NAMES, type ToolName } from './tools.ts';

export const DEFAULT_SIZE = 1024 ** 3;

export interface BenchOptions {
  readonly sizeBytes: number;
  readonly seed: string;
  readonly workDir: string;
  readonly tools: ToolName[];
  readonly jsonPath: string;
  /** BENCHMARKS.md to update, or null to leave it alone. */
  readonly markdownPath: string | null;
  readonly keep: boolean;
  /** Folder for coffer's CPU profiles (`--cpu-prof`), or null. */
  readonly cofferProfileDir: string | null;
}

export const USAGE = `Usage: npm run bench:engine -- [options]

Benchmarks coffer against restic and borg on one generated corpus (see bench/README.md).

  --size SIZE           corpus size: 1GiB (default), 256MiB, 512M, or bytes
  --seed TEXT           corpus seed (default: coffer-1)
  --work DIR            work folder; its corpus/, repos/, restore/ and state/ are
                        replaced (default: bench/.work/engine)
  --tools LIST          comma-separated subset of coffer,restic,borg (default: all)
  --json FILE           results file (default: <work>/../engine-results.json)
  --markdown FILE       update the "## Engine" section of FILE (default: BENCHMARKS.md
                        when the corpus is 1 GiB, the size the targets are set for)
  --no-markdown         never update BENCHMARKS.md
  --keep                keep corpus, repositories and restores afterwards
  --profile-coffer DIR  run coffer with --cpu-prof, profiles into DIR (slows coffer)
  --help                this text
`;

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** Parses "1GiB", "256MiB", "512M", "1.5G" or a byte count. Throws RangeError on anything else. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match === null ? undefined : UNITS[match[2]!.toLowerCase()];
  if (match === null || unit === undefined) {
    throw new RangeError(`not a size: "${text}" (examples: 1GiB, 256MiB, 1073741824)`);
  }
  return Math.round(Number(match[1]) * unit);
}

export function parseOptions(argv: string[], projectRoot: string): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      size: { type: 'string' },
      seed: { type: 'string' },
      work: { type: 'string' },
      tools: { type: 'string' },
      json: { type: 'string' },
      markdown: { type: 'string' },
      'no-markdown': { type: 'boolean' },
      keep: { type: 'boolean' },
      'profile-coffer': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return 'help';
  const sizeBytes = values.size === undefined ? DEFAULT_SIZE : parseSize(values.size);
  if (sizeBytes < 16 * 1024 ** 2) throw new RangeError('--size must be at least 16MiB');
  const tools = (values.tools ?? TOOL_NAMES.join(',')).split(',').map((name) => name.trim());
  for (const name of tools) {
    if (!(TOOL_NAMES as readonly string[]).includes(name)) {
      throw new RangeError(`unknown tool "${name}" in --tools (known: ${TOOL_NAMES.join(', ')})`);
    }
  }
  if (!tools.includes('restic')) throw new RangeError('--tools must include restic: every ratio is to restic');
  const workDir = resolve(values.work ?? resolve(projectRoot, 'bench/.work/engine'));
  let markdownPath: string | null = null;
  if (values['no-markdown'] !== true) {
    if (values.markdown !== undefined) markdownPath = resolve(values.markdown);
    else if (sizeBytes === DEFAULT_SIZE) markdownPath = resolve(projectRoot, 'BENCHMARKS.md');
  }
  return {
    sizeBytes,
    seed: values.seed ?? 'coffer-1',
    workDir,
    tools: TOOL_NAMES.filter((name) => tools.includes(name)),
    jsonPath: resolve(values.json ?? resolve(workDir, '..', 'engine-results.json')),
    markdownPath,
    keep: values.keep === true,
    cofferProfileDir: values['profile-coffer'] === undefined ? null : resolve(values['profile-coffer']),
  };
}
