import { ValidationError } from '../platform/index.ts';
import { formatBytes } from './format.ts';
import type { DataSourceStatus, QuotaEntry, ReportBody, ReportUnit, ZoneCapacity } from './report-model.ts';

/**
 * What counts as an error for one subscriber. A failed backup always does; the rest is the
 * subscriber's choice (a file locked during backup is a warning some want to hear about).
 */
export interface ErrorDefinition {
  readonly warningsAreErrors: boolean;
  readonly missedAreErrors: boolean;
  readonly quotaBreachesAreErrors: boolean;
  /** A data source whose last good snapshot is older than this is an error; null = no age rule. */
  readonly maxSnapshotAgeHours: number | null;
}

export const defaultErrorDefinition: ErrorDefinition = Object.freeze({
  warningsAreErrors: false,
  missedAreErrors: true,
  quotaBreachesAreErrors: true,
  maxSnapshotAgeHours: null,
});

const keys = ['warningsAreErrors', 'missedAreErrors', 'quotaBreachesAreErrors', 'maxSnapshotAgeHours'] as const;
const maxAgeHours = 24 * 366;

/** Validates a partial definition (a subscription's overrides); throws ValidationError naming the field. */
export function parseErrorDefinitionPatch(raw: unknown, field = 'errorDefinition'): Partial<ErrorDefinition> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ValidationError(`${field} must be an object`);
  }
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(keys as readonly string[]).includes(key)) {
      throw new ValidationError(`${field}.${key} is not a known field; allowed: ${keys.join(', ')}`);
    }
    if (key === 'maxSnapshotAgeHours') {
      if (value !== null && (!Number.isInteger(value) || (value as number) < 1 || (value as number) > maxAgeHours)) {
        throw new ValidationError(
          `${field}.maxSnapshotAgeHours must be null or a whole number from 1 to ${maxAgeHours}`,
        );
      }
    } else if (typeof value !== 'boolean') {
      throw new ValidationError(`${field}.${key} must be true or false`);
    }
    patch[key] = value;
  }
  return Object.freeze(patch) as Partial<ErrorDefinition>;
}

/** The subscriber's patch over the unit's inherited default. */
export function effectiveErrorDefinition(
  base: ErrorDefinition,
  patch: Partial<ErrorDefinition> | null,
): ErrorDefinition {
  return Object.freeze({ ...base, ...(patch ?? {}) });
}

export type ProblemKind =
  | 'failed'
  | 'warning'
  | 'missed'
  | 'stale'
  | 'quota_soft'
  | 'quota_hard'
  | 'dead_job'
  | 'storage'
  | 'zone_capacity'
  | 'unassigned';

export interface Problem {
  readonly kind: ProblemKind;
  /** Data source, unit, job … the problem is about. */
  readonly subject: string;
  /** Where in the tree, as unit names from the report's unit down ('' for server items). */
  readonly where: string;
  readonly detail: string;
}

/** What one subscriber sees of a report: units outside their share are left out. */
export interface ReportScope {
  /** Units whose whole subtree is covered by another subscription of the same subscriber. */
  readonly excludedUnitIds: ReadonlySet<string>;
}

export const fullScope: ReportScope = Object.freeze({ excludedUnitIds: new Set<string>() });

/** True when `unit` lies in the subscriber's share of the report. */
export function unitInScope(unit: ReportUnit | undefined, scope: ReportScope): boolean {
  if (!unit) return false;
  return !unit.pathIds.some((id) => scope.excludedUnitIds.has(id));
}

/** A zone this full (used over capacity) is a problem in the operators' report. */
export const zoneNearlyFull = 0.9;

/** Used fraction of a zone's capacity, or null when the capacity is unknown. */
export function zoneFullness(zone: ZoneCapacity): number | null {
  if (zone.capacityBytes === null || zone.freeBytes === null || zone.capacityBytes <= 0) return null;
  return (zone.capacityBytes - zone.freeBytes) / zone.capacityBytes;
}

/** The problems of a report as `definition` defines them, within `scope`. */
export function findProblems(body: ReportBody, definition: ErrorDefinition, scope: ReportScope = fullScope): Problem[] {
  const problems: Problem[] = [];
  if (body.kind === 'server') {
    for (const job of body.jobs.dead) {
      problems.push({ kind: 'dead_job', subject: `${job.kind} ${job.id}`, where: '', detail: job.lastError ?? '' });
    }
    for (const problem of body.storageProblems) {
      problems.push({ kind: 'storage', subject: problem.zone, where: '', detail: problem.message });
    }
    for (const zone of body.zones ?? []) {
      const full = zoneFullness(zone);
      if (full !== null && full >= zoneNearlyFull) {
        problems.push({
          kind: 'zone_capacity',
          subject: zone.zone,
          where: '',
          detail: `${Math.round(full * 100)}% used, ${formatBytes(zone.freeBytes ?? 0)} free`,
        });
      } else if (zone.error) {
        problems.push({ kind: 'zone_capacity', subject: zone.zone, where: '', detail: zone.error });
      }
    }
    for (const source of body.unassignedDataSources) {
      problems.push({ kind: 'unassigned', subject: source.name, where: '', detail: 'assigned to no business unit' });
    }
    if (definition.quotaBreachesAreErrors) problems.push(...quotaProblems(body.quotas, new Map(), scope));
    return problems;
  }
  const units = new Map(body.units.map((unit) => [unit.id, unit]));
  for (const source of body.dataSources) {
    const unit = units.get(source.buId);
    if (!unitInScope(unit, scope)) continue;
    const problem = dataSourceProblem(source, definition, body.generatedAt);
    if (problem) problems.push({ ...problem, subject: source.name, where: unit?.pathNames.join(' / ') ?? '' });
  }
  if (definition.quotaBreachesAreErrors) problems.push(...quotaProblems(body.quotas, units, scope));
  return problems;
}

function dataSourceProblem(
  source: DataSourceStatus,
  definition: ErrorDefinition,
  at: number,
): Pick<Problem, 'kind' | 'detail'> | undefined {
  switch (source.lastOutcome) {
    case 'failed':
      return { kind: 'failed', detail: source.failureReason ?? 'backup failed' };
    case 'warning':
      if (definition.warningsAreErrors) {
        return { kind: 'warning', detail: source.warnings.join('; ') || 'backup completed with warnings' };
      }
      break;
    case 'missed':
      if (definition.missedAreErrors)
        return { kind: 'missed', detail: source.failureReason ?? 'scheduled backup missed' };
      break;
    case 'success':
    case 'never':
      break;
    default:
      return exhaustive(source.lastOutcome);
  }
  if (definition.maxSnapshotAgeHours !== null) {
    const limitMs = definition.maxSnapshotAgeHours * 3_600_000;
    if (source.lastGoodAt === null) return { kind: 'stale', detail: 'no good snapshot yet' };
    if (at - source.lastGoodAt > limitMs) {
      const hours = Math.floor((at - source.lastGoodAt) / 3_600_000);
      return { kind: 'stale', detail: `last good snapshot ${hours} h old (limit ${definition.maxSnapshotAgeHours} h)` };
    }
  }
  return undefined;
}

function quotaProblems(quotas: readonly QuotaEntry[], units: ReadonlyMap<string, ReportUnit>, scope: ReportScope) {
  const problems: Problem[] = [];
  for (const quota of quotas) {
    if (quota.state === 'ok') continue;
    const unit = units.get(quota.buId);
    if (units.size > 0 && !unitInScope(unit, scope)) continue;
    problems.push({
      kind: quota.state === 'hard_exceeded' ? 'quota_hard' : 'quota_soft',
      subject: quota.buName,
      where: unit?.pathNames.join(' / ') ?? '',
      detail: quota.state === 'hard_exceeded' ? 'hard quota limit reached' : 'soft quota threshold exceeded',
    });
  }
  return problems;
}

function exhaustive(value: never): never {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
}
