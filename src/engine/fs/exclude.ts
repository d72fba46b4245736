import { basename, matchesGlob } from 'node:path';

/**
 * Exclude patterns: a pattern without `/` matches the base name of any entry (`*.log`,
 * `node_modules`); a pattern with `/` matches the absolute path (`/home/*\/cache`, `**\/tmp`).
 */
export function makeExcluder(patterns: readonly string[]): (absolutePath: string) => boolean {
  if (patterns.length === 0) return () => false;
  const byName = patterns.filter((pattern) => !pattern.includes('/'));
  const byPath = patterns.filter((pattern) => pattern.includes('/'));
  return (absolutePath) => {
    const name = basename(absolutePath);
    return (
      byName.some((pattern) => matchesGlob(name, pattern)) ||
      byPath.some((pattern) => matchesGlob(absolutePath, pattern))
    );
  };
}
