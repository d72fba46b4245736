import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mallocTunables, mallocTunedEnvironment } from '../../bin/malloc-tuning.js';
import { cofferBin } from '../helpers/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'coffer-malloc-tuning-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const node = '/usr/bin/node';

describe('malloc tunables of the coffer command', () => {
  it('are asked for by the repository commands on Linux only', () => {
    expect(mallocTunedEnvironment([node, cofferBin, 'repo', 'backup', '--repo', 'r', 'x'], {}, 'linux')).toEqual({
      GLIBC_TUNABLES: mallocTunables,
    });
    expect(mallocTunedEnvironment([node, cofferBin, '--help'], {}, 'linux')).toBeUndefined();
    expect(mallocTunedEnvironment([node, cofferBin, 'server'], {}, 'linux')).toBeUndefined();
    expect(mallocTunedEnvironment([node, cofferBin, 'agent', 'run'], {}, 'linux')).toBeUndefined();
    expect(mallocTunedEnvironment([node, cofferBin, 'repo', 'init'], {}, 'darwin')).toBeUndefined();
  });

  it('keep the tunables a user set, and leave malloc alone when the user chose its settings', () => {
    const argv = [node, cofferBin, 'repo', 'check', '--repo', 'r'];
    expect(mallocTunedEnvironment(argv, { GLIBC_TUNABLES: 'glibc.pthread.rseq=0', HOME: '/h' }, 'linux')).toEqual({
      GLIBC_TUNABLES: `glibc.pthread.rseq=0:${mallocTunables}`,
      HOME: '/h',
    });
    expect(mallocTunedEnvironment(argv, { GLIBC_TUNABLES: 'glibc.malloc.arena_max=8' }, 'linux')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')(
    'restart a repository command once, in the same process, with the tunables in its environment',
    () => {
      const log = join(root, 'starts.log');
      const preload = join(root, 'record-start.mjs');
      // Runs at each start of the Node process (a preload is kept across the restart).
      writeFileSync(
        preload,
        `import { appendFileSync } from 'node:fs';
         appendFileSync(${JSON.stringify(log)}, JSON.stringify([process.pid, process.env.GLIBC_TUNABLES ?? null]) + '\\n');`,
      );
      const starts = (args: string[]): [number, string | null][] => {
        rmSync(log, { force: true });
        execFileSync(process.execPath, ['--import', preload, cofferBin, ...args], {
          env: { ...process.env, GLIBC_TUNABLES: undefined },
          encoding: 'utf8',
        });
        return readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as [number, string | null]);
      };

      const repo = starts(['repo', '--help']);
      expect(repo).toHaveLength(2);
      expect(repo[0]![1]).toBeNull();
      expect(repo[1]).toEqual([repo[0]![0], mallocTunables]);

      expect(starts(['--version'])).toEqual([[expect.any(Number), null]]);
    },
    60_000,
  );
});
