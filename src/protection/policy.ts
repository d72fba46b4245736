import { type Database, parseCronRule, ValidationError } from '../platform/index.ts';
import { effectiveSetting, registerSettingDefinition, validateSettingValue } from '../tenancy/index.ts';

/** One recurring backup: a cron rule read in an IANA zone. */
export interface BackupSchedule {
  /** Unique within the policy; jobs and missed runs are recorded under it. */
  readonly name: string;
  /** 5 fields, or 6 with seconds first (e.g. `0 0,12 * * *`). */
  readonly cron: string;
  readonly timezone: string;
  /** Re-read every file instead of trusting unchanged metadata (the weekly full). */
  readonly full?: boolean;
}

/** Keep rules of retention (docs/FORMAT.md §12); empty keeps everything. */
export interface RetentionRules {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
}

/** What to protect, when, and for how long; set on a unit, inherited, overridable per data source. */
export interface ProtectionPolicy {
  readonly schedules: readonly BackupSchedule[];
  readonly retention: RetentionRules;
  /** Absolute paths the agent backs up. */
  readonly paths: readonly string[];
  /** Exclude patterns (engine syntax). */
  readonly excludes: readonly string[];
  /** A scheduled run its agent has not started this long after its slot is recorded missed. */
  readonly missedAfterSeconds: number;
  /** Before the initial backup the agent measures its upload rate; below this rate (bytes/s) … */
  readonly minimumInitialRate: number | null;
  /** … an initial upload larger than this many bytes is refused. */
  readonly largeInitialBytes: number;
}

declare module '../tenancy/index.ts' {
  interface SettingValues {
    'protection.policy': ProtectionPolicy;
  }
}

const count = { type: 'integer', minimum: 0, maximum: 100_000 };

const policySchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'schedules',
    'retention',
    'paths',
    'excludes',
    'missedAfterSeconds',
    'minimumInitialRate',
    'largeInitialBytes',
  ],
  properties: {
    schedules: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'cron', 'timezone'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,60}$' },
          cron: { type: 'string', minLength: 1, maxLength: 100 },
          timezone: { type: 'string', minLength: 1, maxLength: 64 },
          full: { type: 'boolean' },
        },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: { last: count, hourly: count, daily: count, weekly: count, monthly: count, yearly: count },
    },
    paths: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^/' } },
    excludes: { type: 'array', maxItems: 500, items: { type: 'string', minLength: 1, maxLength: 4096 } },
    missedAfterSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86_400 },
    minimumInitialRate: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
    largeInitialBytes: { type: 'integer', minimum: 0 },
  },
} as const;

/** The policy where no unit sets one: nightly at 01:00 UTC, a month of dailies, nothing selected yet. */
export const defaultPolicy: ProtectionPolicy = Object.freeze({
  schedules: [{ name: 'nightly', cron: '0 1 * * *', timezone: 'UTC' }],
  retention: { last: 7, daily: 30, monthly: 12 },
  paths: [],
  excludes: [],
  missedAfterSeconds: 3600,
  minimumInitialRate: null,
  largeInitialBytes: 10 * 1024 * 1024 * 1024,
});

function checkPolicy(policy: ProtectionPolicy): string | null {
  const names = new Set<string>();
  for (const schedule of policy.schedules) {
    if (names.has(schedule.name)) return `schedule name ${schedule.name} is used twice`;
    names.add(schedule.name);
    try {
      parseCronRule(schedule.cron, schedule.timezone);
    } catch (error) {
      return `schedule ${schedule.name}: ${(error as Error).message}`;
    }
  }
  return null;
}

registerSettingDefinition({
  key: 'protection.policy',
  description:
    'Protection policy of data sources: schedules (cron + IANA zone), retention (keep last/hourly/daily/weekly/monthly/yearly), paths, excludes, missed-run grace and the link-test rule for large initial uploads.',
  schema: policySchema,
  default: defaultPolicy,
  check: checkPolicy,
});

/** Fields a data source may override (a partial policy). */
export type PolicyOverride = Partial<ProtectionPolicy>;

/** Validates a data source's override by merging it onto the default and checking the result. */
export function validateOverride(override: unknown): PolicyOverride {
  if (override === null || typeof override !== 'object' || Array.isArray(override)) {
    throw new ValidationError('policy override must be an object with fields of the protection policy');
  }
  const known = new Set(Object.keys(defaultPolicy));
  for (const key of Object.keys(override)) {
    if (!known.has(key)) throw new ValidationError(`policy override: unknown field ${key}`);
  }
  validateSettingValue('protection.policy', { ...defaultPolicy, ...(override as object) });
  return override as PolicyOverride;
}

/** The policy in force for a data source: its unit's inherited policy with its own overrides on top. */
export async function effectivePolicy(
  database: Database,
  buId: string,
  overrideJson: string | null,
): Promise<{ policy: ProtectionPolicy; sourceBuId: string | null; overridden: string[] }> {
  const inherited = await effectiveSetting(database, buId, 'protection.policy');
  const override = overrideJson ? (JSON.parse(overrideJson) as PolicyOverride) : {};
  return {
    policy: { ...inherited.value, ...override },
    sourceBuId: inherited.sourceBuId,
    overridden: Object.keys(override),
  };
}
