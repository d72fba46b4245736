import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { localTime } from './local-time.ts';
import { unitsNotReportedSince } from './report-store.ts';
import { type GenerateReportPayload, generateReportJob } from './status-report.ts';
import type { ReportKind } from './tables.ts';

/** Job kind of the recurring tick that finds units whose report is due. */
export const reportTickJob = 'reporting.tick';

/** A unit reported within this window cannot be due again (a local day lasts at least 23 h). */
const recentWindowMs = 20 * 3_600_000;

/**
 * Enqueues a generate job for every unit whose local day (in its inherited report time
 * zone) has reached its report hour and that has no report for that day yet. Each job's
 * idempotency key names the unit and day, so overlapping ticks, several processes and
 * restarts yield one report per unit and day. After downtime only the current day is made.
 */
export async function enqueueDueReports(deps: ReportingDeps): Promise<GenerateReportPayload[]> {
  const db = reportingDb(deps.database);
  const now = deps.clock.now();
  const due: GenerateReportPayload[] = [];
  for (const kind of ['bu', 'server'] as const satisfies readonly ReportKind[]) {
    const candidates = await unitsNotReportedSince(db, kind, now - recentWindowMs, kind === 'server');
    for (const buId of candidates) {
      const settings = await deps.settings.scheduleFor(buId);
      const local = localTime(now, settings.timeZone);
      if (local.hour < settings.reportHour) continue;
      const payload: GenerateReportPayload = { buId, kind, date: local.date, timeZone: settings.timeZone };
      await deps.queue.enqueue(generateReportJob, payload, {
        idempotencyKey: `reporting.report:${kind}:${buId}:${local.date}`,
      });
      due.push(payload);
    }
  }
  return due;
}
