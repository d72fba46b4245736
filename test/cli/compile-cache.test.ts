import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCoffer } from '../helpers/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'coffer-compile-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function filesUnder(directory: string): number {
  return existsSync(directory) ? readdirSync(directory, { recursive: true }).length : 0;
}

describe('compile cache of the coffer command', { timeout: 60_000 }, () => {
  it('lives in the per-user cache folder, never the shared temporary folder', async () => {
    const xdg = join(root, 'xdg');
    expect((await runCoffer(['--version'], { XDG_CACHE_HOME: xdg, NODE_DISABLE_COMPILE_CACHE: undefined })).code).toBe(
      0,
    );
    expect(filesUnder(join(xdg, 'coffer', 'compile-cache'))).toBeGreaterThan(0);

    const home = join(root, 'home');
    expect(
      (await runCoffer(['--version'], { XDG_CACHE_HOME: undefined, HOME: home, NODE_DISABLE_COMPILE_CACHE: undefined }))
        .code,
    ).toBe(0);
    expect(filesUnder(join(home, '.cache', 'coffer', 'compile-cache'))).toBeGreaterThan(0);
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE', async () => {
    const xdg = join(root, 'disabled');
    expect((await runCoffer(['--version'], { XDG_CACHE_HOME: xdg, NODE_DISABLE_COMPILE_CACHE: '1' })).code).toBe(0);
    expect(existsSync(join(xdg, 'coffer'))).toBe(false);
  });

  it('is named in NODE_COMPILE_CACHE, which worker threads inherit', () => {
    const directory = join(root, 'process-cache');
    const script = `
      import module from 'node:module';
      const { enableCompileCache } = await import(${JSON.stringify(join(import.meta.dirname, '../../bin/compile-cache.js'))});
      enableCompileCache();
      process.stdout.write(JSON.stringify([process.env.NODE_COMPILE_CACHE, module.getCompileCacheDir()]));`;
    const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        ...process.env,
        XDG_CACHE_HOME: directory,
        NODE_COMPILE_CACHE: undefined,
        NODE_DISABLE_COMPILE_CACHE: undefined,
      },
      encoding: 'utf8',
    });
    const [inherited, active] = JSON.parse(printed) as [string, string];
    expect(inherited).toBe(join(directory, 'coffer', 'compile-cache'));
    expect(active.startsWith(inherited)).toBe(true);
  });
});
