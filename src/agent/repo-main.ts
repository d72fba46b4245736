import { Command, CommanderError } from 'commander';
import { registerRepoCommands } from './repo-cli.ts';

/**
 * Stand-alone entry for the repo commands (`node src/agent/repo-main.ts repo …`), used by
 * tests and benchmarks; `coffer repo …` is the same command tree mounted in the main CLI.
 */
async function run(argv: string[]): Promise<void> {
  const program = new Command('coffer').exitOverride();
  registerRepoCommands(program);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`coffer: ${(error as Error).message}\n`);
    if (process.env['COFFER_DEBUG']) process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(1);
  }
}

await run(process.argv);
