import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const tuning = fileURLToPath(new URL('./gc-tuning.ts', import.meta.url));

/**
 * Full (mark-compact) collections while a process with a heap of a few tens of MB takes in
 * 512 MiB of 16 KiB buffers — what a server reading TLS records does.
 */
function fullCollections(tuned: boolean): number {
  const script = `
    import { PerformanceObserver, constants } from 'node:perf_hooks';
    ${tuned ? `const { tuneGcForStreaming } = await import(${JSON.stringify(tuning)}); tuneGcForStreaming();` : ''}
    let full = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
    }).observe({ entryTypes: ['gc'] });
    const heap = Array.from({ length: 300000 }, (_, i) => ({ i, name: 'object ' + i, list: [i] }));
    const into = Buffer.allocUnsafeSlow(16 * 1024 * 1024);
    for (let i = 0; i < 32768; i++) Buffer.alloc(16384, i).copy(into, (i % 1024) * 16384);
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.stdout.write(JSON.stringify({ full, kept: heap.length }));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return (JSON.parse(output) as { full: number }).full;
}

describe('tuneGcForStreaming', () => {
  it('stops short-lived buffers from forcing a full collection every 64 MiB', () => {
    const untuned = fullCollections(false);
    const tuned = fullCollections(true);
    // Default V8: a full collection per 64–80 MiB of buffers (6–7 for 512 MiB here); tuned: none or a few.
    expect(untuned).toBeGreaterThanOrEqual(4);
    expect(tuned).toBeLessThanOrEqual(untuned / 2);
  });
});
