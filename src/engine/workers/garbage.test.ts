import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const garbage = fileURLToPath(new URL('./garbage.ts', import.meta.url));

describe('noteProcessed', () => {
  it('sets its V8 flag as it loads (code cached under other flags is rejected), and collects every 2 MiB', () => {
    // `--expose-gc` shows in any context made after it is set.
    const script = `
      import { runInNewContext } from 'node:vm';
      import { PerformanceObserver } from 'node:perf_hooks';
      const { noteProcessed } = await import(${JSON.stringify(garbage)});
      let collections = 0;
      new PerformanceObserver((list) => { collections += list.getEntries().length; }).observe({ entryTypes: ['gc'] });
      const loaded = runInNewContext('typeof gc');
      const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
      noteProcessed(1024 * 1024);
      await settle();
      const belowInterval = collections;
      noteProcessed(1024 * 1024);
      await settle();
      process.stdout.write(JSON.stringify({ loaded, belowInterval, collected: collections > 0 }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ loaded: 'function', belowInterval: 0, collected: true });
  });
});
