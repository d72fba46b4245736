/** How many snapshots to keep per time bucket (docs/FORMAT.md §12). */
export interface RetentionPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
}

/** What the policy needs to know about a snapshot. */
export interface RetentionCandidate {
  readonly id: string;
  readonly timeMs: number;
  /** Snapshots are grouped (e.g. by host and paths); each group keeps its own history. */
  readonly group: string;
}

/** Decision for one snapshot. */
export interface RetentionDecision {
  readonly id: string;
  readonly keep: boolean;
  /** Rules that keep it, e.g. `last`, `daily`. */
  readonly reasons: readonly string[];
}

/** True when the policy keeps at least something (an empty policy would delete everything). */
export function isEmptyPolicy(policy: RetentionPolicy): boolean {
  return Object.values(policy).every((value) => value === undefined || value <= 0);
}

function isoWeek(date: Date): string {
  const day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const weekday = (day.getDay() + 6) % 7;
  day.setDate(day.getDate() - weekday + 3);
  const firstThursday = new Date(day.getFullYear(), 0, 4);
  const week =
    1 +
    Math.round(((day.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getDay() + 6) % 7)) / 7);
  return `${day.getFullYear()}-W${week}`;
}

const buckets: readonly [keyof RetentionPolicy, (date: Date) => string][] = [
  ['hourly', (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}-${d.getHours()}`],
  ['daily', (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`],
  ['weekly', isoWeek],
  ['monthly', (d) => `${d.getFullYear()}-${d.getMonth()}`],
  ['yearly', (d) => `${d.getFullYear()}`],
];

/**
 * Applies a keep-last/hourly/daily/weekly/monthly/yearly policy per group, in local time:
 * for each rule with N, the newest snapshot of each of the N newest buckets is kept.
 * A snapshot is kept when any rule keeps it. Pure and deterministic.
 */
export function applyRetention(
  candidates: readonly RetentionCandidate[],
  policy: RetentionPolicy,
): RetentionDecision[] {
  const reasons = new Map<string, string[]>(candidates.map((candidate) => [candidate.id, []]));
  const groups = new Map<string, RetentionCandidate[]>();
  for (const candidate of candidates) {
    const group = groups.get(candidate.group) ?? [];
    group.push(candidate);
    groups.set(candidate.group, group);
  }
  for (const group of groups.values()) {
    const newestFirst = [...group].sort((a, b) => b.timeMs - a.timeMs || b.id.localeCompare(a.id));
    newestFirst.slice(0, Math.max(0, policy.last ?? 0)).forEach((candidate) => {
      reasons.get(candidate.id)!.push('last');
    });
    for (const [rule, bucketOf] of buckets) {
      let remaining = policy[rule] ?? 0;
      let previousBucket: string | undefined;
      for (const candidate of newestFirst) {
        if (remaining <= 0) break;
        const bucket = bucketOf(new Date(candidate.timeMs));
        if (bucket === previousBucket) continue;
        previousBucket = bucket;
        reasons.get(candidate.id)!.push(rule);
        remaining -= 1;
      }
    }
  }
  return candidates.map((candidate) => {
    const why = reasons.get(candidate.id)!;
    return { id: candidate.id, keep: why.length > 0, reasons: why };
  });
}
