import { NotFoundError, ValidationError } from '../platform/index.ts';
import type { ReportingContext } from './context.ts';
import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import { fullScope } from './error-definition.ts';
import { localTime, parseDate } from './local-time.ts';
import type { ReportBody, ReportSummary } from './report-model.ts';
import { findReport, listReports, type ReportRow } from './report-store.ts';
import { generateServerReport, generateUnitReport } from './status-report.ts';
import { findUnit, unitPathBetween } from './subscriber-store.ts';
import type { ReportKind } from './tables.ts';
import { renderServerReport, renderUnitReport } from './templates/render.ts';
import { iso } from './time-format.ts';

export interface ReportListItem {
  readonly id: string;
  readonly buId: string;
  readonly kind: ReportKind;
  readonly date: string;
  readonly timeZone: string;
  readonly generatedAt: string;
  readonly summary: ReportSummary;
}

export interface ReportDocument extends ReportListItem {
  readonly body: ReportBody;
}

function item(row: Omit<ReportRow, 'body'>): ReportListItem {
  return {
    id: row.id,
    buId: row.bu_id,
    kind: row.kind,
    date: row.report_date,
    timeZone: row.time_zone,
    generatedAt: iso(row.generated_at),
    summary: JSON.parse(row.summary) as ReportSummary,
  };
}

function checkDate(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (!parseDate(value)) throw new ValidationError(`${field} must be a date as YYYY-MM-DD`);
  return value;
}

/** Stored reports of a unit, newest day first, paged by date. Requires `report.read`. */
export async function listUnitReports(
  ctx: ReportingContext,
  buId: string,
  options: { kind?: ReportKind; limit: number; before?: string; from?: string; to?: string },
): Promise<{ reports: ReportListItem[]; nextCursor?: string }> {
  await ctx.access.require('report.read', buId, 'Business unit');
  const rows = await listReports(reportingDb(ctx.database), buId, {
    kind: options.kind ?? 'bu',
    limit: options.limit + 1,
    ...(checkDate(options.before, 'before') ? { before: options.before } : {}),
    ...(checkDate(options.from, 'from') ? { from: options.from } : {}),
    ...(checkDate(options.to, 'to') ? { to: options.to } : {}),
  });
  const page = rows.slice(0, options.limit).map(item);
  return rows.length > options.limit ? { reports: page, nextCursor: page[page.length - 1]!.date } : { reports: page };
}

async function loadReport(ctx: ReportingContext, id: string): Promise<ReportRow> {
  const row = await findReport(reportingDb(ctx.database), id);
  if (!row) throw new NotFoundError('Report');
  await ctx.access.require('report.read', row.bu_id, 'Report');
  return row;
}

/** One stored report with its full content. Requires `report.read` on its unit. */
export async function getReport(ctx: ReportingContext, id: string): Promise<ReportDocument> {
  const row = await loadReport(ctx, id);
  return { ...item(row), body: JSON.parse(row.body) as ReportBody };
}

/** The report as HTML in its unit's brand and settings, as the caller would receive it. */
export async function renderReportHtml(ctx: ReportingContext, deps: ReportingDeps, id: string): Promise<string> {
  const row = await loadReport(ctx, id);
  const body = JSON.parse(row.body) as ReportBody;
  const db = reportingDb(ctx.database);
  const [settings, brand] = await Promise.all([deps.settings.settingsFor(row.bu_id), deps.brands.brandFor(row.bu_id)]);
  const recipient = { email: ctx.principal?.displayName ?? '', name: ctx.principal?.displayName ?? '' };
  if (body.kind === 'server') {
    return (
      await renderServerReport({
        body,
        brand,
        definition: settings.errorDefinition,
        template: settings.emailTemplate,
        recipient,
      })
    ).html;
  }
  const unitPath = ctx.principal ? await unitPathBetween(db, ctx.principal.scopeBuId, row.bu_id) : body.unit.name;
  const rendered = await renderUnitReport({
    body,
    brand,
    content: settings.content,
    definition: settings.errorDefinition,
    scope: fullScope,
    template: settings.emailTemplate,
    recipient,
    unitPath,
  });
  return rendered.html;
}

/**
 * Generates today's report of the unit now (in its report time zone) if there is none yet,
 * and returns it. Subscribers are not mailed by this; the daily run does that. Server
 * reports exist only for root units. Requires `report.manage`.
 */
export async function generateReportNow(
  ctx: ReportingContext,
  deps: ReportingDeps,
  buId: string,
  kind: ReportKind,
): Promise<ReportDocument> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  const unit = await findUnit(reportingDb(ctx.database), buId);
  if (!unit) throw new NotFoundError('Business unit');
  if (kind === 'server' && unit.parent_id !== null) {
    throw new ValidationError('server reports exist for the root business unit only');
  }
  const settings = await deps.settings.settingsFor(buId);
  const date = localTime(deps.clock.now(), settings.timeZone).date;
  const input = { buId, date, timeZone: settings.timeZone };
  const { row } = kind === 'server' ? await generateServerReport(deps, input) : await generateUnitReport(deps, input);
  return { ...item(row), body: JSON.parse(row.body) as ReportBody };
}
