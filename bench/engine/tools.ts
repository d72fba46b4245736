import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { versionOf } from './install.ts';
import type { Command } from './measure.ts';

export const TOOL_NAMES = ['coffer', 'restic', 'borg'] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** Backup number within a run: initial, no-change, after the mutation. */
export type BackupNumber = 1 | 2 | 3;

/** How the benchmark drives one backup program. */
export interface Tool {
  readonly name: ToolName;
  /** Describes the installed program, e.g. "restic 0.14.0 …"; throws when it cannot run. */
  version(): string;
  init(repo: string): Command;
  backup(repo: string, source: string, backup: BackupNumber): Command;
  /** Restores the last backup into `target` (which exists and is empty). */
  restore(repo: string, target: string): Command;
  /** Optional command whose output (the tool's own statistics) is recorded as is. */
  stats?(repo: string): Command;
}

export interface ToolContext {
  /** The project's root (where bin/coffer.js is). */
  readonly projectRoot: string;
  /** Where tools keep caches and key stores. */
  readonly stateRoot: string;
  readonly password: string;
  /** Where coffer's CPU profiles go (one folder per command: init, backup-1, …), or null. */
  readonly cofferProfileDir: string | null;
}

/** restic with zstd compression where it helps (`--compression auto`). */
export function createRestic(context: ToolContext): Tool {
  const cache = join(context.stateRoot, 'restic-cache');
  const env = { ...process.env, RESTIC_PASSWORD: context.password };
  const command = (args: string[], cwd?: string): Command => ({
    program: 'restic',
    args: ['--cache-dir', cache, ...args],
    env,
    ...(cwd === undefined ? {} : { cwd }),
  });
  return {
    name: 'restic',
    version: () => versionOf('restic', ['version']),
    // Repository format 2 is the one with compression.
    init: (repo) => command(['--repo', repo, 'init', '--repository-version', '2']),
    backup: (repo, source) =>
      command(['--repo', repo, 'backup', '--quiet', '--compression', 'auto', '--host', 'bench', source]),
    restore: (repo, target) => command(['--repo', repo, 'restore', 'latest', '--target', target, '--quiet']),
    stats: (repo) => command(['--repo', repo, 'stats', '--mode', 'raw-data', '--json']),
  };
}

/** BorgBackup with zstd level 3 and authenticated encryption (repokey-blake2). */
export function createBorg(context: ToolContext): Tool {
  const base = join(context.stateRoot, 'borg-base');
  const env = {
    ...process.env,
    BORG_PASSPHRASE: context.password,
    BORG_BASE_DIR: base,
    BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  };
  return {
    name: 'borg',
    version: () => versionOf('borg', ['--version']),
    init: (repo) => ({ program: 'borg', args: ['init', '--encryption=repokey-blake2', repo], env }),
    backup: (repo, source, backup) => ({
      program: 'borg',
      args: ['create', '--compression', 'zstd,3', `${repo}::backup-${backup}`, source],
      env,
    }),
    // borg extracts into the current folder; the last archive is backup-3.
    restore: (repo, target) => ({ program: 'borg', args: ['extract', `${repo}::backup-3`], cwd: target, env }),
    stats: (repo) => ({ program: 'borg', args: ['info', '--json', repo], env }),
  };
}

/**
 * The script that runs `coffer repo …`: `bin/coffer.js` once the main CLI mounts the repo
 * commands, until then the stand-alone entry of the same command tree.
 */
function cofferEntry(projectRoot: string): string {
  const main = join(projectRoot, 'bin', 'coffer.js');
  const standalone = join(projectRoot, 'src', 'agent', 'repo-main.ts');
  try {
    const help = execFileSync(process.execPath, [main, '--help'], { encoding: 'utf8', timeout: 60_000 });
    if (/^\s+repo\b/m.test(help)) return main;
  } catch {
    // the main CLI does not start: try the stand-alone entry
  }
  return existsSync(standalone) ? standalone : main;
}

/**
 * coffer through its CLI, run by the project's own Node 24 directly (what `npx node
 * bin/coffer.js` runs, without npx's start-up time in every figure).
 */
export function createCoffer(context: ToolContext): Tool {
  const script = cofferEntry(context.projectRoot);
  const env: NodeJS.ProcessEnv = { ...process.env, COFFER_PASSWORD: context.password };
  const command = (label: string, args: string[]): Command => {
    const profileDir = context.cofferProfileDir === null ? null : join(context.cofferProfileDir, label);
    return {
      program: process.execPath,
      args: [script, 'repo', ...args],
      env: profileDir === null ? env : { ...env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` },
    };
  };
  return {
    name: 'coffer',
    version: () => {
      const pkg = JSON.parse(readFileSync(join(context.projectRoot, 'package.json'), 'utf8')) as { version: string };
      let commit = 'unknown commit';
      try {
        commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
          cwd: context.projectRoot,
          encoding: 'utf8',
        }).trim();
      } catch {
        // not a git checkout: the version alone
      }
      return `coffer ${pkg.version} (${commit}, ${relative(context.projectRoot, script)})`;
    },
    init: (repo) => command('init', ['init', '--repo', repo]),
    backup: (repo, source, backup) => command(`backup-${backup}`, ['backup', '--repo', repo, '--json', source]),
    restore: (repo, target) => command('restore', ['restore', '--repo', repo, 'latest', '--target', target]),
    stats: (repo) => command('stats', ['stats', '--repo', repo, '--json']),
  };
}

export function createTool(name: ToolName, context: ToolContext): Tool {
  switch (name) {
    case 'coffer':
      return createCoffer(context);
    case 'restic':
      return createRestic(context);
    case 'borg':
      return createBorg(context);
  }
}
