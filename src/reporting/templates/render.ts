import type { ReportContent } from '../content.ts';
import {
  type ErrorDefinition,
  findProblems,
  type Problem,
  type ProblemKind,
  type ReportScope,
  unitInScope,
  zoneFullness,
  zoneNearlyFull,
} from '../error-definition.ts';
import { formatAge, formatBytes, formatBytesDelta, formatCountDelta, formatInstant } from '../format.ts';
import type { ReportBrand } from '../ports.ts';
import type {
  BackupOutcome,
  ConsumptionFigures,
  QuotaEntry,
  ServerReportBody,
  UnitReportBody,
} from '../report-model.ts';
import { createTemplateEngines } from './engine.ts';
import { type EmailTemplateSettings, renderSnippet, type SnippetScope } from './snippets.ts';

/** An inline attachment referenced from the HTML as `cid:<cid>` (the brand logo). */
export interface InlineAttachment {
  readonly cid: string;
  readonly filename: string;
  readonly contentType: string;
  readonly contentBase64: string;
}

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments: readonly InlineAttachment[];
}

export interface Recipient {
  readonly email: string;
  readonly name: string;
}

const engines = createTemplateEngines();
const logoCid = 'brand-logo';
const defaultPrimary = '#1f4e79';
const defaultAccent = '#2e7d32';

const outcomeLabels: Record<BackupOutcome, string> = {
  success: 'Succeeded',
  warning: 'Warning',
  failed: 'Failed',
  missed: 'Missed',
  never: 'Never run',
};
const outcomeColors: Record<BackupOutcome, string> = {
  success: '#2e7d32',
  warning: '#b35c00',
  failed: '#c62828',
  missed: '#6a1b9a',
  never: '#57606a',
};
const problemLabels: Record<ProblemKind, string> = {
  failed: 'Backup failed',
  warning: 'Backup with warnings',
  missed: 'Backup missed',
  stale: 'Snapshot too old',
  quota_soft: 'Soft quota exceeded',
  quota_hard: 'Hard quota reached',
  dead_job: 'Job failed permanently',
  storage: 'Storage error',
  zone_capacity: 'Storage zone nearly full',
  unassigned: 'Unassigned data source',
};

function colour(value: string, fallback: string): string {
  return /^#[0-9a-fA-F]{6}$|^#[0-9a-fA-F]{3}$/.test(value) ? value : fallback;
}

function brandView(brand: ReportBrand) {
  return {
    name: brand.displayName,
    primaryColor: colour(brand.primaryColor, defaultPrimary),
    accentColor: colour(brand.accentColor, defaultAccent),
    hasLogo: brand.logo !== null,
    logoCid,
  };
}

function logoAttachments(brand: ReportBrand): InlineAttachment[] {
  if (!brand.logo) return [];
  const extension = brand.logo.contentType.split('/')[1]?.split('+')[0] ?? 'bin';
  return [
    {
      cid: logoCid,
      filename: `logo.${extension}`,
      contentType: brand.logo.contentType,
      contentBase64: Buffer.from(brand.logo.data).toString('base64'),
    },
  ];
}

function problemView(problem: Problem) {
  return { label: problemLabels[problem.kind], subject: problem.subject, where: problem.where, detail: problem.detail };
}

function quotaView(quota: QuotaEntry) {
  const state =
    quota.state === 'hard_exceeded'
      ? 'hard limit reached'
      : quota.state === 'soft_exceeded'
        ? 'soft threshold exceeded'
        : 'ok';
  return {
    unit: quota.buName,
    state,
    color: quota.state === 'ok' ? '#2e7d32' : quota.state === 'soft_exceeded' ? '#b35c00' : '#c62828',
    used: formatBytes(quota.usedBytes),
    soft: quota.softLimitBytes === null ? '–' : formatBytes(quota.softLimitBytes),
    hard: quota.hardLimitBytes === null ? '–' : formatBytes(quota.hardLimitBytes),
  };
}

function consumptionRows(today: ConsumptionFigures, day: ConsumptionFigures | null, week: ConsumptionFigures | null) {
  const bytes = (label: string, key: 'protectedBytes' | 'storedBytes' | 'transferredBytes') => ({
    label,
    today: formatBytes(today[key]),
    dayDelta: formatBytesDelta(today[key], day?.[key]),
    weekDelta: formatBytesDelta(today[key], week?.[key]),
  });
  const count = (label: string, key: 'clients' | 'snapshots') => ({
    label,
    today: String(today[key]),
    dayDelta: formatCountDelta(today[key], day?.[key]),
    weekDelta: formatCountDelta(today[key], week?.[key]),
  });
  return [
    bytes('Protected data', 'protectedBytes'),
    bytes('Stored data', 'storedBytes'),
    bytes('Transferred', 'transferredBytes'),
    count('Clients', 'clients'),
    count('Snapshots', 'snapshots'),
  ];
}

/** Everything needed to render a unit's report for one recipient. */
export interface UnitReportRenderInput {
  readonly body: UnitReportBody;
  readonly brand: ReportBrand;
  readonly content: ReportContent;
  readonly definition: ErrorDefinition;
  readonly scope: ReportScope;
  readonly template: EmailTemplateSettings;
  readonly recipient: Recipient;
  /** Names from the caller's root down to the report's unit. */
  readonly unitPath: string;
}

/** The view of a unit report as one recipient sees it (their scope and error definition). */
export function unitReportView(input: UnitReportRenderInput) {
  const { body, content, scope } = input;
  const zone = body.timeZone;
  const units = new Map(body.units.map((unit) => [unit.id, unit]));
  const problems = findProblems(body, input.definition, scope);
  const visible = body.dataSources.filter((source) => unitInScope(units.get(source.buId), scope));
  const counts: Record<BackupOutcome, number> = { success: 0, warning: 0, failed: 0, missed: 0, never: 0 };
  for (const source of visible) counts[source.lastOutcome]++;
  const listed = content.onlyDataSourcesWithIssues ? visible.filter((s) => s.lastOutcome !== 'success') : visible;
  const rows = listed.map((source) => {
    const unit = units.get(source.buId);
    const notes = [source.failureReason ?? '', ...source.warnings].filter((note) => note !== '').join('; ');
    return {
      sortUnit: unit?.pathNames.join('\u0000') ?? '',
      unitName: unit?.pathNames.join(' / ') ?? '',
      name: source.name,
      outcome: outcomeLabels[source.lastOutcome],
      color: outcomeColors[source.lastOutcome],
      lastRun: formatInstant(source.lastRunAt, zone),
      lastGoodAge: formatAge(source.lastGoodAt, body.generatedAt),
      protected: formatBytes(source.protectedBytes),
      stored: formatBytes(source.storedBytes),
      notes,
    };
  });
  rows.sort((a, b) => a.sortUnit.localeCompare(b.sortUnit) || a.name.localeCompare(b.name));
  const groups: { name: string; dataSources: object[] }[] = [];
  if (content.groupByUnit) {
    for (const row of rows) {
      const last = groups[groups.length - 1];
      const entry = { ...row, unit: '' };
      if (last && last.name === row.unitName) last.dataSources.push(entry);
      else groups.push({ name: row.unitName, dataSources: [entry] });
    }
  } else if (rows.length > 0) {
    rows.sort((a, b) => a.name.localeCompare(b.name));
    groups.push({ name: '', dataSources: rows.map((row) => ({ ...row, unit: row.unitName })) });
  }
  const quotas = body.quotas.filter((quota) => units.size === 0 || unitInScope(units.get(quota.buId), scope));
  const consumption = body.consumption;
  const snippetScope: SnippetScope = {
    unit: { name: body.unit.name, code: body.unit.code ?? '', path: input.unitPath },
    brand: { name: input.brand.displayName },
    report: {
      date: body.date,
      kind: 'bu',
      dataSources: visible.length,
      problems: problems.length,
      failed: counts.failed,
      warnings: counts.warning,
      missed: counts.missed,
      success: counts.success,
    },
    recipient: input.recipient,
  };
  return {
    problems,
    snippetScope,
    view: {
      brand: brandView(input.brand),
      title: `Status report for ${body.unit.name}`,
      subtitle: `${body.date} (${zone}) · generated ${formatInstant(body.generatedAt, zone)}`,
      footerNote: `Sent to ${input.recipient.email}. Manage your report subscriptions in the console.`,
      summary: { dataSources: visible.length, ...counts },
      show: content.sections,
      problems: problems.map(problemView),
      groups,
      consumption: consumption
        ? {
            available: true,
            asOf: formatInstant(consumption.today.asOf, zone),
            rows: consumptionRows(consumption.today, consumption.previousDay, consumption.previousWeek),
          }
        : { available: false, asOf: '', rows: [] },
      quotas: quotas.map(quotaView),
    },
  };
}

function defaultSubject(scope: SnippetScope): string {
  const problems = scope.report.problems;
  const suffix = problems === 0 ? '' : ` – ${problems} problem${problems === 1 ? '' : 's'}`;
  return `${scope.brand.name}: status report for ${scope.unit.name}, ${scope.report.date}${suffix}`;
}

async function renderWithSnippets(
  name: string,
  view: Record<string, unknown>,
  template: EmailTemplateSettings,
  snippetScope: SnippetScope,
  brand: ReportBrand,
  subjectFallback: string,
): Promise<RenderedMail> {
  const introHtml = template.intro ? renderSnippet(template.intro, snippetScope, 'html') : '';
  const introText = template.intro ? renderSnippet(template.intro, snippetScope, 'text') : '';
  const footerHtml = template.footer ? renderSnippet(template.footer, snippetScope, 'html') : '';
  const footerText = template.footer ? renderSnippet(template.footer, snippetScope, 'text') : '';
  const subject = template.subject ? renderSnippet(template.subject, snippetScope, 'text') : subjectFallback;
  const scope = { ...view, introHtml, introText, footerHtml, footerText };
  const [html, text] = await Promise.all([
    engines.html.renderFile(`${name}.html.liquid`, scope),
    engines.text.renderFile(`${name}.text.liquid`, scope),
  ]);
  return {
    subject: subject
      .replace(/[\r\n]+/g, ' ')
      .trim()
      .slice(0, 300),
    html: String(html),
    text: tidyText(String(text)),
    attachments: logoAttachments(brand),
  };
}

/** Collapses the blank lines Liquid tags leave behind in plain-text mail. */
function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/** A unit's report as one recipient's e-mail (or the browsable HTML, with the caller as recipient). */
export async function renderUnitReport(input: UnitReportRenderInput): Promise<RenderedMail & { problems: Problem[] }> {
  const { view, snippetScope, problems } = unitReportView(input);
  const mail = await renderWithSnippets(
    'unit-report',
    view,
    input.template,
    snippetScope,
    input.brand,
    defaultSubject(snippetScope),
  );
  return { ...mail, problems };
}

export interface ServerReportRenderInput {
  readonly body: ServerReportBody;
  readonly brand: ReportBrand;
  readonly definition: ErrorDefinition;
  readonly template: EmailTemplateSettings;
  readonly recipient: Recipient;
}

export async function renderServerReport(
  input: ServerReportRenderInput,
): Promise<RenderedMail & { problems: Problem[] }> {
  const { body } = input;
  const zone = body.timeZone;
  const problems = findProblems(body, input.definition);
  const snippetScope: SnippetScope = {
    unit: { name: body.unit.name, code: body.unit.code ?? '', path: body.unit.name },
    brand: { name: input.brand.displayName },
    report: {
      date: body.date,
      kind: 'server',
      dataSources: body.unassignedDataSources.length,
      problems: problems.length,
      failed: 0,
      warnings: 0,
      missed: 0,
      success: 0,
    },
    recipient: input.recipient,
  };
  const licence = body.licence;
  const view = {
    brand: brandView(input.brand),
    title: 'Server report',
    subtitle: `${body.date} (${zone}) · generated ${formatInstant(body.generatedAt, zone)}`,
    footerNote: `Sent to ${input.recipient.email}. Operators' report for the whole installation.`,
    problems: problems.map(problemView),
    jobCounts: Object.entries(body.jobs.counts).map(([status, count]) => ({ status, count })),
    undeliverableMail: body.undeliverableMail,
    licence: licence
      ? {
          available: true,
          stored: formatBytes(licence.storedBytes),
          licensed: licence.licensedBytes === null ? 'unlimited' : formatBytes(licence.licensedBytes),
          unaccounted: formatBytes(licence.unaccountedBytes),
        }
      : { available: false, stored: '', licensed: '', unaccounted: '' },
    quotas: body.quotas.filter((quota) => quota.state !== 'ok').map(quotaView),
    zones: (body.zones ?? []).map((zone) => {
      const full = zoneFullness(zone);
      return {
        name: zone.zone,
        kind: zone.kind,
        stored: formatBytes(zone.storedBytes),
        capacity:
          zone.capacityBytes === null || zone.freeBytes === null
            ? (zone.error ?? 'capacity not reported by this kind of store')
            : `${formatBytes(zone.freeBytes)} free of ${formatBytes(zone.capacityBytes)} (${Math.round((full ?? 0) * 100)}% used)`,
        color: full !== null && full >= zoneNearlyFull ? '#c62828' : '#24292f',
      };
    }),
  };
  const suffix = problems.length === 0 ? '' : ` – ${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  const mail = await renderWithSnippets(
    'server-report',
    view,
    input.template,
    snippetScope,
    input.brand,
    `${input.brand.displayName}: server report, ${body.date}${suffix}`,
  );
  return { ...mail, problems };
}

/** An alert or recovery notice. */
export interface AlertRenderInput {
  readonly brand: ReportBrand;
  readonly recipient: Recipient;
  readonly timeZone: string;
  readonly title: string;
  readonly headline: string;
  readonly recovery: boolean;
  readonly facts: readonly { readonly label: string; readonly value: string }[];
}

export async function renderAlert(input: AlertRenderInput): Promise<RenderedMail> {
  const view = {
    brand: brandView(input.brand),
    title: input.title,
    subtitle: input.recovery ? 'Recovery notice' : 'Alert',
    footerNote: `Sent to ${input.recipient.email}. Manage your alert subscriptions in the console.`,
    headline: input.headline,
    severityColor: input.recovery ? '#2e7d32' : '#c62828',
    facts: input.facts,
    introHtml: '',
    footerHtml: '',
  };
  const [html, text] = await Promise.all([
    engines.html.renderFile('alert.html.liquid', view),
    engines.text.renderFile('alert.text.liquid', view),
  ]);
  return {
    subject: `${input.brand.displayName}: ${input.title}`.replace(/[\r\n]+/g, ' ').slice(0, 300),
    html: String(html),
    text: tidyText(String(text)),
    attachments: logoAttachments(input.brand),
  };
}
