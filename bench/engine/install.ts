import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TIME_BINARY } from './measure.ts';

/** A program the benchmark needs and the Debian package that provides it. */
interface Requirement {
  readonly program: string;
  readonly debianPackage: string;
  readonly present: () => boolean;
}

export class InstallFailedError extends Error {
  readonly code = 'BENCH_INSTALL_FAILED';
}

function onPath(program: string): boolean {
  return (process.env['PATH'] ?? '')
    .split(delimiter)
    .some((folder) => folder !== '' && existsSync(join(folder, program)));
}

const REQUIREMENTS: readonly Requirement[] = [
  { program: 'restic', debianPackage: 'restic', present: () => onPath('restic') },
  { program: 'borg', debianPackage: 'borgbackup', present: () => onPath('borg') },
  { program: TIME_BINARY, debianPackage: 'time', present: () => existsSync(TIME_BINARY) },
];

function runVisibly(program: string, args: string[]): void {
  process.stdout.write(`+ ${program} ${args.join(' ')}\n`);
  const result = spawnSync(program, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? `exit code ${result.status}`;
    throw new InstallFailedError(`${program} ${args.join(' ')} failed (${why})`);
  }
}

/**
 * Installs restic, borgbackup and GNU time from Debian's packages when missing (one
 * `apt-get update`, then one `apt-get install`), printing each command. Throws when a
 * package is missing and cannot be installed (not root, no apt-get, or apt-get fails).
 */
export function ensureTools(): void {
  const missing = REQUIREMENTS.filter((requirement) => !requirement.present());
  if (missing.length === 0) return;
  const packages = missing.map((requirement) => requirement.debianPackage);
  const names = missing.map((requirement) => requirement.program).join(', ');
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new InstallFailedError(
      `missing ${names}; install them as root with: apt-get update && apt-get install -y ${packages.join(' ')}`,
    );
  }
  process.stdout.write(`Installing ${packages.join(' ')} from Debian (missing: ${names})\n`);
  runVisibly('apt-get', ['update']);
  runVisibly('apt-get', ['install', '-y', '--no-install-recommends', ...packages]);
  const stillMissing = REQUIREMENTS.filter((requirement) => !requirement.present());
  if (stillMissing.length > 0) {
    throw new InstallFailedError(
      `still missing after apt-get install: ${stillMissing.map((r) => r.program).join(', ')}`,
    );
  }
}

/** First line of a program's version output, e.g. "restic 0.14.0 compiled with go1.19.8". */
export function versionOf(program: string, args: string[]): string {
  return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .split('\n')[0]!
    .trim();
}
