/** A small seeded PRNG (mulberry32): the same seed always builds the same tree. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedUnit {
  /** Index of the parent in the plan (-1 for the root). */
  parent: number;
  depth: number;
}

/**
 * Plans a tree: a root, then `branches` top-level units (resellers) whose subtrees hold
 * `branchSize` units each (the last one less, to reach `total`). Inside a branch every new
 * unit hangs under a random earlier unit of the branch (a random recursive tree, so early
 * units get many children and later ones few), never deeper than `maxDepth` (root = 0).
 */
export function planTree(options: { total: number; branches: number; maxDepth: number; seed: number }): PlannedUnit[] {
  const random = seededRandom(options.seed);
  const units: PlannedUnit[] = [{ parent: -1, depth: 0 }];
  const branchSize = Math.ceil((options.total - 1) / options.branches);
  for (let b = 0; b < options.branches; b++) {
    const size = Math.min(branchSize, options.total - units.length);
    const first = units.length;
    units.push({ parent: 0, depth: 1 });
    for (let i = 1; i < size; i++) {
      let parent = first + Math.floor(random() * (units.length - first));
      while ((units[parent]?.depth ?? 0) >= options.maxDepth) parent = units[parent]?.parent ?? first;
      units.push({ parent, depth: (units[parent]?.depth ?? 0) + 1 });
    }
  }
  return units;
}

/** p50, p99 and max of a sample, in the sample's unit. */
export function percentiles(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0, n: sorted.length };
}
