import { Command, CommanderError } from 'commander';
import { CofferError } from '../platform/index.ts';
import { version } from './version.ts';

function fail(error: unknown): never {
  if (error instanceof CofferError) {
    process.stderr.write(`coffer: ${error.message}\n`);
  } else if (error instanceof Error) {
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
