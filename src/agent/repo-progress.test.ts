import { describe, expect, it } from 'vitest';
import { formatProgress } from './repo-progress.ts';

describe('progress line', () => {
  it('shows files, bytes, rate and ETA with a bar when totals are known', () => {
    const line = formatProgress({ files: 5, bytes: 50 * 1048576 }, { files: 10, bytes: 100 * 1048576 }, 10_000, 120);
    expect(line).toContain('5/10 files');
    expect(line).toContain('5.0 MiB/s');
    expect(line).toContain('ETA 0:10');
    expect(line.startsWith('[')).toBe(true);
  });

  it('omits ETA without totals', () => {
    expect(formatProgress({ files: 1, bytes: 0 }, undefined, 0, 80)).toBe('1 files  0.0 MiB  0.0 MiB/s');
  });
});
