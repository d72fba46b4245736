import type { Command } from 'commander';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('./gc-tuning.ts', () => ({
  tuneGcForStreaming: vi.fn(),
  boundHeapGrowth: vi.fn(),
  favourMemoryOverSpeed: vi.fn(),
  optimizeWithMaglevOnly: vi.fn(),
  shareBuiltinsWithWorkers: vi.fn(),
}));

const { boundHeapGrowth, favourMemoryOverSpeed, optimizeWithMaglevOnly, shareBuiltinsWithWorkers, tuneGcForStreaming } =
  await import('./gc-tuning.ts');
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

describe('the GC settings', () => {
  beforeEach(() => {
    vi.mocked(tuneGcForStreaming).mockClear();
    vi.mocked(boundHeapGrowth).mockClear();
    vi.mocked(favourMemoryOverSpeed).mockClear();
    vi.mocked(optimizeWithMaglevOnly).mockClear();
    vi.mocked(shareBuiltinsWithWorkers).mockClear();
  });

  it('streaming is applied by `coffer server` and `coffer agent run`', async () => {
    await run(['server']);
    await run(['agent', 'run']);
    expect(tuneGcForStreaming).toHaveBeenCalledTimes(2);
    expect(boundHeapGrowth).not.toHaveBeenCalled();
    expect(favourMemoryOverSpeed).not.toHaveBeenCalled();
    expect(optimizeWithMaglevOnly).not.toHaveBeenCalled();
    expect(shareBuiltinsWithWorkers).not.toHaveBeenCalled();
  });

  it('the repository commands bound the growth of the heap, favour memory over speed, optimize with Maglev only and share the builtins with workers: their peak memory is a target', async () => {
    await run(['repo', 'snapshots'], ['--repo', '/nonexistent']);
    await run(['repo', 'backup'], ['--repo', '/nonexistent', '/tmp']);
    await run(['repo', 'restore'], ['--repo', '/nonexistent', 'latest', '--target', '/tmp/x']);
    expect(tuneGcForStreaming).not.toHaveBeenCalled();
    expect(boundHeapGrowth).toHaveBeenCalledTimes(3);
    expect(favourMemoryOverSpeed).toHaveBeenCalledTimes(3);
    expect(optimizeWithMaglevOnly).toHaveBeenCalledTimes(3);
    expect(shareBuiltinsWithWorkers).toHaveBeenCalledTimes(3);
  });
});
