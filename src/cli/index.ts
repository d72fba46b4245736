import { Command, CommanderError } from 'commander';
import { registerAgentCommands } from '../agent/agent-cli.ts';
import { registerRepoCommands } from '../agent/repo-cli.ts';
import {
  boundHeapGrowth,
  favourMemoryOverSpeed,
  optimizeWithMaglevOnly,
  shareBuiltinsWithWorkers,
  tuneGcForStreaming,
} from './gc-tuning.ts';
import { version } from './version.ts';

// Nothing here imports the platform (database drivers, logger, job queue) at load time:
// `coffer repo …` runs on a backup machine and must start fast and small; the commands that
// need the platform load it when they run.
function fail(error: unknown): never {
  if (error instanceof Error) {
    process.stderr.write(`coffer: ${error.message}\n`);
    if (process.env.COFFER_DEBUG) process.stderr.write(`${error.stack}\n`);
  } else {
    process.stderr.write(`coffer: ${String(error)}\n`);
  }
  process.exit(1);
}

async function runServerCommand(): Promise<void> {
  const { startServer } = await import('../server/main.ts');
  const server = await startServer({});
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(`coffer: ${signal} again, exiting without waiting\n`);
      process.exit(130);
    }
    process.stderr.write(`coffer: ${signal} received, finishing in-flight work\n`);
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => fail(error),
    );
  };
  process.on('SIGHUP', () => {
    server.reloadTls().then(
      (tls) =>
        process.stderr.write(
          `coffer: SIGHUP: ${tls ? `certificate reloaded (SHA-256 ${tls.fingerprint256})` : 'HTTPS is off'}\n`,
        ),
      (error: unknown) =>
        process.stderr.write(`coffer: SIGHUP: certificate not reloaded: ${(error as Error).message}\n`),
    );
  });
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function runRebuildIndex(options: { vault?: string; json?: boolean }): Promise<void> {
  const { runRebuildIndexCommand } = await import('../protection/index.ts');
  const reports = await runRebuildIndexCommand(options.vault ? { vaultId: options.vault } : {});
  for (const report of reports) {
    process.stdout.write(
      options.json
        ? `${JSON.stringify(report)}\n`
        : `vault ${report.vaultId}: ${report.packs} packs, ${report.blobs} blobs, ${report.snapshots} snapshots` +
            `${report.unreadablePacks.length + report.unreadableSnapshots.length > 0 ? `, unreadable: ${[...report.unreadablePacks, ...report.unreadableSnapshots].join(' ')}` : ''}\n`,
    );
  }
}

/** Builds the `coffer` command tree. Subcommands load their modules lazily. */
export function buildProgram(): Command {
  const program = new Command('coffer')
    .description('Coffer: backup as a service. Server, agent and local repository tools.')
    .version(version, '-V, --version')
    .showHelpAfterError();
  program
    .command('server')
    .description('Run the Coffer server (configured by COFFER_* environment variables; see README)')
    .action(runServerCommand);
  registerRepoCommands(program);
  registerAgentCommands(program);
  // The two long-running processes that stream packs over HTTPS get the streaming GC setting;
  // the local repository commands a heap that does not grow with the data.
  program.hook('preAction', (_program, command) => {
    const path = `${command.parent?.name() ?? ''} ${command.name()}`;
    if (path === 'coffer server' || path === 'agent run') tuneGcForStreaming();
    if (command.parent?.name() === 'repo') {
      boundHeapGrowth();
      favourMemoryOverSpeed();
      optimizeWithMaglevOnly();
      shareBuiltinsWithWorkers();
    }
  });
  program
    .command('admin')
    .description('Operator tasks on the server’s data (configured like the server)')
    .command('rebuild-index')
    .description('Rebuild the blob index and snapshot catalog of every vault from the storage zones alone')
    .option('--vault <id>', 'only this vault')
    .option('--json', 'print machine-readable JSON')
    .action(runRebuildIndex);
  return program;
}

/** Entry of bin/coffer.js. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    fail(error);
  }
}
