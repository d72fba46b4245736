import type { Command } from 'commander';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('./gc-tuning.ts', () => ({ tuneGcForStreaming: vi.fn() }));

const { tuneGcForStreaming } = await import('./gc-tuning.ts');
const { buildProgram } = await import('./index.ts');

/** The command at `path`, its action replaced by one that does nothing. */
function silence(program: Command, path: readonly string[]): void {
  let command = program;
  for (const name of path) command = command.commands.find((sub) => sub.name() === name)!;
  command.action(() => {});
}

async function run(path: readonly string[], args: readonly string[] = []): Promise<void> {
  const program = buildProgram();
  silence(program, path);
  await program.parseAsync(['node', 'coffer', ...path, ...args]);
}

describe('the GC setting for streaming processes', () => {
  beforeEach(() => vi.mocked(tuneGcForStreaming).mockClear());

  it('is applied by `coffer server` and `coffer agent run`', async () => {
    await run(['server']);
    await run(['agent', 'run']);
    expect(tuneGcForStreaming).toHaveBeenCalledTimes(2);
  });

  it('is not applied by the repository commands, whose peak memory is a target', async () => {
    await run(['repo', 'snapshots'], ['--repo', '/nonexistent']);
    await run(['repo', 'backup'], ['--repo', '/nonexistent', '/tmp']);
    expect(tuneGcForStreaming).not.toHaveBeenCalled();
  });
});
