import { newId } from '../platform/index.ts';
import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { findProblems } from './error-definition.ts';
import { addDays } from './local-time.ts';
import { countOutboxByStatus } from './outbox-store.ts';
import type {
  BackupOutcome,
  ReportBody,
  ReportSummary,
  ReportUnit,
  ServerReportBody,
  UnitReportBody,
} from './report-model.ts';
import { insertReport, type ReportRow, subtreeUnits } from './report-store.ts';
import type { ReportKind } from './tables.ts';

/** Job kind that generates one unit's report for one day and queues its e-mails. */
export const generateReportJob = 'reporting.generate-report';

export interface GenerateReportPayload {
  readonly buId: string;
  readonly kind: ReportKind;
  /** Local `YYYY-MM-DD` in `timeZone`. */
  readonly date: string;
  readonly timeZone: string;
}

function summarise(body: ReportBody, problems: number): ReportSummary {
  const byOutcome: Record<BackupOutcome, number> = { success: 0, warning: 0, failed: 0, missed: 0, never: 0 };
  if (body.kind === 'bu') for (const source of body.dataSources) byOutcome[source.lastOutcome]++;
  return {
    dataSources: body.kind === 'bu' ? body.dataSources.length : body.unassignedDataSources.length,
    byOutcome,
    quotaBreaches: body.quotas.filter((quota) => quota.state !== 'ok').length,
    problems,
  };
}

/** Units of the subtree with their paths from the report's unit down to each. */
async function reportUnits(deps: ReportingDeps, buId: string): Promise<ReportUnit[]> {
  const rows = await subtreeUnits(reportingDb(deps.database), buId);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const paths = new Map<string, ReportUnit>();
  // Rows come parents first (ordered by depth), so each parent's path is known before its children.
  for (const row of rows) {
    const parent = row.id === buId || row.parent_id === null ? undefined : paths.get(row.parent_id);
    const unit: ReportUnit = {
      id: row.id,
      name: row.name,
      pathIds: [...(parent?.pathIds ?? []), row.id],
      pathNames: [...(parent?.pathNames ?? []), row.name],
    };
    paths.set(row.id, unit);
  }
  return [...paths.values()].filter((unit) => byId.has(unit.id));
}

/**
 * Builds and stores the daily report of `buId` for local day `date`: every data source of the
 * subtree with its last outcome, age of the last good snapshot and sizes; subtree consumption
 * with the previous day and week; quota states. Idempotent: a second call for the same day
 * returns the stored report. `created` says whether this call stored it.
 */
export async function generateUnitReport(
  deps: ReportingDeps,
  input: { buId: string; date: string; timeZone: string },
): Promise<{ row: ReportRow; created: boolean }> {
  const db = reportingDb(deps.database);
  const now = deps.clock.now();
  const units = await reportUnits(deps, input.buId);
  const root = units.find((unit) => unit.id === input.buId);
  if (!root) throw new Error(`business unit ${input.buId} does not exist`);
  const inSubtree = new Set(units.map((unit) => unit.id));
  const [sources, today, previousDay, previousWeek, quotas, own] = await Promise.all([
    deps.dataSources.listForSubtree(input.buId, now),
    deps.usage.subtreeFigures(input.buId, input.date),
    deps.usage.subtreeFigures(input.buId, addDays(input.date, -1)),
    deps.usage.subtreeFigures(input.buId, addDays(input.date, -7)),
    deps.usage.quotaStates(input.buId),
    db.selectFrom('business_units').select(['code']).where('id', '=', input.buId).executeTakeFirst(),
  ]);
  const body: UnitReportBody = {
    version: 1,
    kind: 'bu',
    unit: { id: input.buId, name: root.name, code: own?.code ?? null },
    date: input.date,
    timeZone: input.timeZone,
    generatedAt: now,
    units,
    // The provider answers for the subtree; the filter keeps a faulty one from leaking others' rows.
    dataSources: sources.filter((source) => inSubtree.has(source.buId)),
    consumption: today ? { today, previousDay, previousWeek } : null,
    quotas: quotas.filter((quota) => inSubtree.has(quota.buId)),
  };
  const settings = await deps.settings.settingsFor(input.buId);
  const summary = summarise(body, findProblems(body, settings.errorDefinition).length);
  return insertReport(db, {
    id: newId(now),
    bu_id: input.buId,
    kind: 'bu',
    report_date: input.date,
    time_zone: input.timeZone,
    generated_at: now,
    summary: JSON.stringify(summary),
    body: JSON.stringify(body),
  });
}

/**
 * Builds and stores the operators' report (kind `server`, kept at the root unit): dead jobs
 * and queue counts, storage errors of the last day, unassigned data sources, quota and
 * licence compliance, undeliverable e-mail. Idempotent per day like unit reports.
 */
export async function generateServerReport(
  deps: ReportingDeps,
  input: { buId: string; date: string; timeZone: string },
): Promise<{ row: ReportRow; created: boolean }> {
  const db = reportingDb(deps.database);
  const now = deps.clock.now();
  const [
    unit,
    counts,
    dead,
    storageProblems,
    unassignedSources,
    unassignedUsage,
    quotas,
    licence,
    undeliverableMail,
    zones,
  ] = await Promise.all([
    db.selectFrom('business_units').select(['name', 'code']).where('id', '=', input.buId).executeTakeFirst(),
    deps.queue.queueStats(),
    deps.queue.list({ status: 'dead', limit: 100 }),
    deps.dataSources.storageProblems(now - 86_400_000, now),
    deps.dataSources.listUnassigned(now),
    deps.usage.unassignedDataSources(),
    deps.usage.quotaStates(input.buId),
    deps.usage.licence(),
    countOutboxByStatus(db, 'dead'),
    deps.dataSources.zoneCapacity?.() ?? Promise.resolve([]),
  ]);
  if (!unit) throw new Error(`business unit ${input.buId} does not exist`);
  // The data path knows names, usage knows what is billed to nobody: report the union.
  const unassigned = new Map(unassignedUsage.map((source) => [source.id, source]));
  for (const source of unassignedSources) unassigned.set(source.id, source);
  const body: ServerReportBody = {
    version: 1,
    kind: 'server',
    unit: { id: input.buId, name: unit.name, code: unit.code },
    date: input.date,
    timeZone: input.timeZone,
    generatedAt: now,
    jobs: {
      counts: { ...counts },
      dead: dead.jobs.map((job) => ({
        id: job.id,
        kind: job.kind,
        attempts: job.attempts,
        lastError: job.lastError,
        finishedAt: job.finishedAt,
      })),
    },
    storageProblems,
    zones,
    unassignedDataSources: [...unassigned.values()],
    quotas: quotas.filter((quota) => quota.state !== 'ok'),
    licence,
    undeliverableMail,
  };
  const settings = await deps.settings.settingsFor(input.buId);
  const summary = summarise(body, findProblems(body, settings.errorDefinition).length);
  return insertReport(db, {
    id: newId(now),
    bu_id: input.buId,
    kind: 'server',
    report_date: input.date,
    time_zone: input.timeZone,
    generated_at: now,
    summary: JSON.stringify(summary),
    body: JSON.stringify(body),
  });
}
