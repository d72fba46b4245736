import { lstatSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeExcluder } from './exclude.ts';

/**
 * Counts files and bytes below `paths` (lstat only), for progress estimates. Unreadable
 * entries are skipped silently; the backup reports them.
 */
export function scanTotals(
  paths: readonly string[],
  excludes: readonly string[] = [],
): { files: number; bytes: number } {
  const excluded = makeExcluder(excludes);
  let files = 0;
  let bytes = 0;
  const visit = (path: string): void => {
    let stats: ReturnType<typeof lstatSync>;
    try {
      stats = lstatSync(path);
    } catch {
      return;
    }
    if (stats?.isFile()) {
      files += 1;
      bytes += stats.size;
    } else if (stats?.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names) {
        const child = join(path, name);
        if (!excluded(child)) visit(child);
      }
    }
  };
  for (const path of paths) visit(resolve(path));
  return { files, bytes };
}
