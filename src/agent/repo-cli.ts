import { type Command, Option } from 'commander';
import type { LockedIndex, Repository } from '../engine/index.ts';
import type { BlobStore } from '../storage/index.ts';
import { readPassword } from './repo-password.ts';
import { startProgress } from './repo-progress.ts';

/** Options every repo subcommand accepts. */
interface CommonOptions {
  readonly repo: string;
  readonly passwordFile?: string;
  readonly json?: boolean;
  readonly lockWait: number;
}

/** Exit code for "completed with warnings" (e.g. unreadable files were skipped). */
const exitWarnings = 3;

function common(command: Command): Command {
  return command
    .addOption(new Option('-r, --repo <dir>', 'repository directory').env('COFFER_REPOSITORY').makeOptionMandatory())
    .addOption(
      new Option('--password-file <file>', 'read the password from the first line of a file').env(
        'COFFER_PASSWORD_FILE',
      ),
    )
    .addOption(new Option('--json', 'print machine-readable JSON on stdout').env('COFFER_JSON'))
    .addOption(
      new Option('--lock-wait <seconds>', 'wait this long for a conflicting lock')
        .env('COFFER_LOCK_WAIT')
        .default(0)
        .argParser(nonNegative),
    );
}

function nonNegative(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new Error(`expected a non-negative number, got ${value}`);
  return number;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function print(options: CommonOptions, json: unknown, text: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(json)}\n` : `${text()}\n`);
}

function size(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 2)} ${units[unit]}`;
}

/**
 * The engine, loaded on first use (through the compile cache that bin/coffer.js turns on,
 * so its modules load without being type-stripped again; bin/compile-cache.js).
 */
async function loadEngine(): Promise<typeof import('../engine/index.ts')> {
  return import('../engine/index.ts');
}

async function openStore(options: CommonOptions): Promise<BlobStore> {
  // The module itself, not storage/index.ts: that one also loads the S3 SDK (~0.5 s and
  // tens of MiB per command) which a local repository never uses.
  const { FsBlobStore } = await import('../storage/fs-blob-store.ts');
  return new FsBlobStore(options.repo);
}

/** Opens the repository: the key first, then the engine (see `openLocked`). */
async function openRepo(options: CommonOptions): Promise<Repository> {
  const password = await readPassword({ passwordFile: options.passwordFile });
  const store = await openStore(options);
  const { unlockRepository } = await import('../engine/unlock.ts');
  const unlocked = await unlockRepository(store, { passphrase: password });
  const { openUnlockedRepository } = await loadEngine();
  return openUnlockedRepository(store, unlocked);
}

/**
 * Opens the repository for a command that holds a shared lock for `operation`. The key is
 * derived first (argon2id, 64 MiB by default), before the rest of the engine loads and the
 * index is read: those 64 MiB were the peak of every command that reads little, and ~10 MiB
 * less on top of them is worth the ~20 ms the index read no longer overlaps
 * (docs/decisions/0022-main-thread-lane.md). A wrong passphrase so fails before any lock.
 */
async function openLocked(
  options: CommonOptions,
  operation: string,
): Promise<{ repository: Repository; prepared: LockedIndex }> {
  const repository = await openRepo(options);
  const { lockAndReadIndex } = await loadEngine();
  const prepared = await lockAndReadIndex(
    repository.store,
    operation,
    await lockEnvironment(),
    options.lockWait * 1000,
  );
  return { repository, prepared };
}

async function lockEnvironment() {
  const { processLockEnvironment } = await loadEngine();
  const { hostname } = await import('node:os');
  return processLockEnvironment(hostname());
}

/**
 * Adds `coffer repo init|backup|snapshots|ls|restore|check|forget|stats|rebuild-index`
 * (local repositories; docs/FORMAT.md). Exit codes: 0 success, 3 completed with warnings,
 * 1 error (errors are thrown to the program's handler).
 */
export function registerRepoCommands(program: Command): Command {
  const repo = program
    .command('repo')
    .description('Work with a local Coffer repository (deduplicated, compressed, encrypted)');

  common(repo.command('init').description('Create a repository'))
    .addOption(
      new Option('--kdf-memory <KiB>', 'argon2id memory of the password slot')
        .env('COFFER_KDF_MEMORY')
        .argParser(nonNegative),
    )
    .addOption(
      new Option('--kdf-iterations <n>', 'argon2id passes of the password slot')
        .env('COFFER_KDF_ITERATIONS')
        .argParser(nonNegative),
    )
    .action(async (options: CommonOptions & { kdfMemory?: number; kdfIterations?: number }) => {
      const { initRepository, defaultKdf } = await loadEngine();
      const password = await readPassword({ passwordFile: options.passwordFile, confirm: true });
      const kdf =
        defaultKdf.algorithm === 'argon2id'
          ? {
              ...defaultKdf,
              memoryKiB: options.kdfMemory ?? defaultKdf.memoryKiB,
              iterations: options.kdfIterations ?? defaultKdf.iterations,
              parallelism: options.kdfMemory !== undefined && options.kdfMemory < 64 ? 1 : defaultKdf.parallelism,
            }
          : defaultKdf;
      const repository = await initRepository(await openStore(options), { passphrase: password }, { kdf });
      print(options, { repository: options.repo, id: repository.config.id, config: repository.config }, () => {
        return `created repository ${repository.config.id} at ${options.repo}`;
      });
    });

  common(repo.command('backup').description('Back up files and folders into a new snapshot'))
    .argument('<paths...>', 'files and folders to back up')
    .addOption(new Option('-e, --exclude <glob>', 'exclude matching entries (repeatable)').argParser(collect))
    .addOption(new Option('-t, --tag <tag>', 'tag the snapshot (repeatable)').argParser(collect))
    .addOption(new Option('-f, --force', 're-read every file, ignoring the parent snapshot').env('COFFER_FORCE'))
    .addOption(new Option('--parent <snapshot>', 'parent snapshot for change detection'))
    .addOption(new Option('--host <name>', 'host name recorded in the snapshot').env('COFFER_HOST'))
    .action(
      async (
        paths: string[],
        options: CommonOptions & {
          exclude?: string[];
          tag?: string[];
          force?: boolean;
          parent?: string;
          host?: string;
        },
      ) => {
        // The key first, while the process is small (see `openLocked`).
        const { repository, prepared } = await openLocked(options, 'backup');
        const { backup, scanTotals, startBackupScan } = await loadEngine();
        const excludes = [...(options.exclude ?? []), ...splitList(process.env['COFFER_EXCLUDE'])];
        const scan = startBackupScan(paths, excludes);
        const progress = { files: 0, bytes: 0 };
        const bar = startProgress(progress, process.stderr.isTTY ? scanTotals(paths, excludes) : undefined);
        let result: Awaited<ReturnType<typeof backup>>;
        try {
          result = await backup(repository, {
            paths,
            excludes,
            tags: options.tag ?? [],
            force: options.force ?? false,
            ...(options.parent ? { parent: options.parent } : {}),
            ...(options.host ? { hostname: options.host } : {}),
            progress,
            scan,
            prepared,
          });
        } finally {
          bar.stop();
        }
        const { summary } = result;
        print(
          options,
          {
            snapshotId: result.snapshotId,
            parent: result.parent,
            files: summary.files,
            directories: summary.directories,
            totalBytes: summary.totalBytes,
            bytesRead: summary.bytesRead,
            bytesAdded: summary.bytesAdded,
            storedBytesAdded: summary.storedBytesAdded,
            durationMs: summary.durationMs,
            warnings: result.warnings,
          },
          () =>
            [
              `snapshot ${result.snapshotId.slice(0, 8)} saved${result.parent ? ` (parent ${result.parent.slice(0, 8)})` : ''}`,
              `files: ${summary.files}, directories: ${summary.directories}, size: ${size(summary.totalBytes)}`,
              `read: ${size(summary.bytesRead)}, added: ${size(summary.bytesAdded)} (stored ${size(summary.storedBytesAdded)})`,
              `duration: ${(summary.durationMs / 1000).toFixed(1)} s`,
            ].join('\n'),
        );
        if (result.warnings.length > 0) {
          for (const warning of result.warnings) process.stderr.write(`warning: ${warning.path}: ${warning.error}\n`);
          process.exitCode = exitWarnings;
        }
      },
    );

  common(repo.command('snapshots').description('List snapshots')).action(async (options: CommonOptions) => {
    const repository = await openRepo(options);
    const { snapshots, damaged } = await repository.listSnapshots();
    print(
      options,
      snapshots.map((snapshot) => ({
        id: snapshot.id,
        time: snapshot.meta.time,
        hostname: snapshot.meta.hostname,
        username: snapshot.meta.username,
        paths: snapshot.meta.paths,
        tags: snapshot.meta.tags,
        parent: snapshot.meta.parent,
        tree: snapshot.meta.tree,
        summary: snapshot.meta.summary,
      })),
      () =>
        [
          'ID        Time                      Host          Size        Paths',
          ...snapshots.map(
            (snapshot) =>
              `${snapshot.id.slice(0, 8)}  ${snapshot.meta.time.padEnd(24)}  ${snapshot.meta.hostname.padEnd(12).slice(0, 12)}  ${size(snapshot.meta.summary.totalBytes).padStart(10)}  ${snapshot.meta.paths.join(' ')}${snapshot.meta.tags.length ? `  [${snapshot.meta.tags.join(',')}]` : ''}`,
          ),
          `${snapshots.length} snapshot(s)`,
        ].join('\n'),
    );
    for (const bad of damaged) process.stderr.write(`warning: snapshot ${bad.id} is unreadable: ${bad.error}\n`);
    if (damaged.length > 0) process.exitCode = exitWarnings;
  });

  common(repo.command('ls').description('List the entries of a snapshot'))
    .argument('<snapshot>', 'snapshot ID, unique prefix or "latest"')
    .argument('[path]', 'folder or file inside the snapshot', '/')
    .action(async (reference: string, path: string, options: CommonOptions) => {
      const { listSnapshot } = await loadEngine();
      const repository = await openRepo(options);
      await repository.loadIndex();
      const snapshot = await repository.findSnapshot(reference);
      for await (const { path: entryPath, entry } of listSnapshot(repository, snapshot, path)) {
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ path: entryPath, type: entry.kind, size: entry.size, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: new Date(Number(entry.mtimeNs / 1_000_000n)).toISOString(), ...(entry.kind === 'symlink' ? { target: entry.target } : {}) })}\n`,
          );
        } else {
          const mode = `${entry.kind === 'dir' ? 'd' : entry.kind === 'symlink' ? 'l' : '-'}${entry.mode.toString(8).padStart(4, '0')}`;
          process.stdout.write(
            `${mode} ${String(entry.size).padStart(12)} ${entryPath}${entry.kind === 'symlink' ? ` -> ${entry.target}` : ''}\n`,
          );
        }
      }
    });

  common(repo.command('restore').description('Restore a snapshot, a folder or a file'))
    .argument('<snapshot>', 'snapshot ID, unique prefix or "latest"')
    .addOption(new Option('--target <dir>', 'directory to restore into').env('COFFER_TARGET').makeOptionMandatory())
    .addOption(
      new Option('-i, --include <path>', 'restore only this path of the snapshot (repeatable)').argParser(collect),
    )
    .action(async (reference: string, options: CommonOptions & { target: string; include?: string[] }) => {
      // The key first, while the process is small (see `openLocked`).
      const { repository, prepared } = await openLocked(options, 'restore');
      const { restore } = await loadEngine();
      try {
        repository.useIndex(prepared.index);
        const snapshot = await repository.findSnapshot(reference);
        const progress = { files: 0, bytes: 0 };
        const bar = startProgress(progress);
        let result: Awaited<ReturnType<typeof restore>>;
        try {
          result = await restore(repository, snapshot, {
            target: options.target,
            includes: options.include ?? [],
            progress,
          });
        } finally {
          bar.stop();
        }
        print(
          options,
          { snapshotId: snapshot.id, target: options.target, ...result },
          () =>
            `restored ${result.files} file(s), ${result.directories} folder(s), ${size(result.bytesWritten)} from ${snapshot.id.slice(0, 8)} in ${(result.durationMs / 1000).toFixed(1)} s`,
        );
        if (result.failures.length > 0) {
          for (const failure of result.failures) process.stderr.write(`error: ${failure.path}: ${failure.error}\n`);
          process.exitCode = exitWarnings;
        }
      } finally {
        await prepared.lock.release();
      }
    });

  common(repo.command('check').description('Verify the repository; name damaged packs and what depends on them'))
    .addOption(new Option('--read-data', 'read and verify all data').env('COFFER_READ_DATA'))
    .addOption(
      new Option('--read-data-subset <percent>', 'read and verify this share of the packs, e.g. 10%').env(
        'COFFER_READ_DATA_SUBSET',
      ),
    )
    .action(async (options: CommonOptions & { readData?: boolean; readDataSubset?: string }) => {
      const { checkRepository } = await loadEngine();
      const repository = await openRepo(options);
      const lock = await repository.lock('check', false, await lockEnvironment(), options.lockWait * 1000);
      let report: Awaited<ReturnType<typeof checkRepository>>;
      try {
        report = await checkRepository(repository, {
          readData: options.readData ?? false,
          ...(options.readDataSubset !== undefined ? { readDataSubset: parsePercent(options.readDataSubset) } : {}),
        });
      } finally {
        await lock.release();
      }
      print(options, report, () => {
        const lines = [
          `${report.snapshotsChecked} snapshot(s), ${report.packsChecked} pack(s) and ${report.blobsChecked} blob(s) read`,
        ];
        for (const pack of report.damagedPacks)
          lines.push(`damaged pack ${pack.packId}: ${pack.error} (${pack.blobs.length} blob(s))`);
        for (const affected of report.affectedSnapshots) {
          lines.push(`snapshot ${affected.snapshotId.slice(0, 8)} (${affected.time}) is affected:`);
          for (const path of affected.paths) lines.push(`  ${path}`);
        }
        for (const error of report.errors.filter((e) => !e.startsWith('pack ') && !e.startsWith('snapshot ')))
          lines.push(error);
        if (report.unindexedPacks.length > 0)
          lines.push(`${report.unindexedPacks.length} pack(s) not in the index (from an interrupted backup; harmless)`);
        lines.push(report.ok ? 'no errors were found' : `${report.errors.length} error(s) found`);
        return lines.join('\n');
      });
      if (!report.ok) process.exitCode = 1;
    });

  common(repo.command('forget').description('Remove snapshots by a retention policy'))
    .addOption(
      new Option('--keep-last <n>', 'keep the n newest snapshots').env('COFFER_KEEP_LAST').argParser(nonNegative),
    )
    .addOption(
      new Option('--keep-hourly <n>', 'keep one per hour for n hours').env('COFFER_KEEP_HOURLY').argParser(nonNegative),
    )
    .addOption(
      new Option('--keep-daily <n>', 'keep one per day for n days').env('COFFER_KEEP_DAILY').argParser(nonNegative),
    )
    .addOption(
      new Option('--keep-weekly <n>', 'keep one per week for n weeks').env('COFFER_KEEP_WEEKLY').argParser(nonNegative),
    )
    .addOption(
      new Option('--keep-monthly <n>', 'keep one per month for n months')
        .env('COFFER_KEEP_MONTHLY')
        .argParser(nonNegative),
    )
    .addOption(
      new Option('--keep-yearly <n>', 'keep one per year for n years').env('COFFER_KEEP_YEARLY').argParser(nonNegative),
    )
    .addOption(new Option('--prune', 'also remove data no snapshot references any more').env('COFFER_PRUNE'))
    .addOption(new Option('-n, --dry-run', 'only show what would be removed').env('COFFER_DRY_RUN'))
    .action(
      async (
        options: CommonOptions & {
          keepLast?: number;
          keepHourly?: number;
          keepDaily?: number;
          keepWeekly?: number;
          keepMonthly?: number;
          keepYearly?: number;
          prune?: boolean;
          dryRun?: boolean;
        },
      ) => {
        const { forgetSnapshots, prune } = await loadEngine();
        const repository = await openRepo(options);
        const environment = await lockEnvironment();
        const decisions = await forgetSnapshots(
          repository,
          {
            last: options.keepLast,
            hourly: options.keepHourly,
            daily: options.keepDaily,
            weekly: options.keepWeekly,
            monthly: options.keepMonthly,
            yearly: options.keepYearly,
          },
          { dryRun: options.dryRun ?? false, lockEnvironment: environment, lockWaitMs: options.lockWait * 1000 },
        );
        const pruned = options.prune
          ? await prune(repository.store, {
              dryRun: options.dryRun ?? false,
              packSize: repository.config.packSize,
              lockEnvironment: environment,
              lockWaitMs: options.lockWait * 1000,
            })
          : undefined;
        print(options, { dryRun: options.dryRun ?? false, snapshots: decisions, prune: pruned ?? null }, () => {
          const lines = decisions.map(
            (d) =>
              `${d.keep ? 'keep  ' : options.dryRun ? 'would remove' : 'remove'} ${d.id.slice(0, 8)} ${d.time} ${d.hostname} ${d.paths.join(' ')}${d.keep ? ` (${d.reasons.join(', ')})` : ''}`,
          );
          if (pruned) {
            lines.push(
              `${options.dryRun ? 'would delete' : 'deleted'} ${pruned.packsDeleted} pack(s), repacked ${pruned.packsRepacked}, freed ${size(pruned.bytesFreed)}${pruned.partialFilesRemoved > 0 ? `, removed ${pruned.partialFilesRemoved} partial pack file(s) of interrupted backups` : ''}`,
            );
          }
          return lines.join('\n');
        });
      },
    );

  common(
    repo.command('stats').description('Sizes: logical, stored, dedup ratio, and per snapshot what only it holds'),
  ).action(async (options: CommonOptions) => {
    const { repositoryStats } = await loadEngine();
    const stats = await repositoryStats(await openRepo(options));
    print(options, stats, () =>
      [
        `snapshots: ${stats.snapshots}`,
        `logical size: ${size(stats.logicalBytes)}`,
        `unique data: ${size(stats.uniqueBytes)}`,
        `stored size: ${size(stats.storedBytes)} in ${stats.packs} pack(s), ${stats.blobs} blob(s)`,
        `dedup ratio: ${stats.dedupRatio.toFixed(2)}, compression ratio: ${stats.compressionRatio.toFixed(2)}`,
        ...stats.perSnapshot.map(
          (s) =>
            `  ${s.id.slice(0, 8)} ${s.time}  logical ${size(s.logicalBytes)}, only here ${size(s.uniqueStoredBytes)}`,
        ),
      ].join('\n'),
    );
  });

  common(repo.command('rebuild-index').description('Rebuild the index from the packs alone (no key needed)')).action(
    async (options: CommonOptions) => {
      const { rebuildIndex } = await loadEngine();
      const result = await rebuildIndex(await openStore(options));
      print(options, result, () => `index rebuilt: ${result.packs} pack(s), ${result.blobs} blob(s)`);
      for (const bad of result.unreadable) process.stderr.write(`warning: pack ${bad.packId}: ${bad.error}\n`);
      if (result.unreadable.length > 0) process.exitCode = exitWarnings;
    },
  );
  return repo;
}

function parsePercent(value: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value.trim());
  const number = match ? Number(match[1]) : Number.NaN;
  if (!(number > 0 && number <= 100))
    throw new Error(`--read-data-subset wants a percentage in (0, 100], got ${value}`);
  return number / 100;
}

function splitList(value: string | undefined): string[] {
  return value
    ? value
        .split(/[\n,]/)
        .map((item) => item.trim())
        .filter(Boolean)
    : [];
}
