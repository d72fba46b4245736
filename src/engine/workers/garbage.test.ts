import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const garbage = fileURLToPath(new URL('./garbage.ts', import.meta.url));

describe('noteProcessed', () => {
  it('makes its gc context only when the first 2 MiB have been processed, then collects', () => {
    // `--expose-gc`, which the module sets when it makes its context, shows in any new context.
    const script = `
      import { runInNewContext } from 'node:vm';
      import { PerformanceObserver } from 'node:perf_hooks';
      const { noteProcessed } = await import(${JSON.stringify(garbage)});
      let collections = 0;
      new PerformanceObserver((list) => { collections += list.getEntries().length; }).observe({ entryTypes: ['gc'] });
      const loaded = runInNewContext('typeof gc');
      noteProcessed(1024 * 1024);
      const belowInterval = runInNewContext('typeof gc');
      noteProcessed(1024 * 1024);
      const afterInterval = runInNewContext('typeof gc');
      await new Promise((resolve) => setTimeout(resolve, 20));
      process.stdout.write(JSON.stringify({ loaded, belowInterval, afterInterval, collected: collections > 0 }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({
      loaded: 'undefined',
      belowInterval: 'undefined',
      afterInterval: 'function',
      collected: true,
    });
  });
});
