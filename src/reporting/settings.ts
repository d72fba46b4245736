import type { Database } from '../platform/index.ts';
import { effectiveSetting, registerSettingDefinition } from '../tenancy/index.ts';
import { defaultReportContent, parseReportContent, type ReportContent } from './content.ts';
import { defaultErrorDefinition, type ErrorDefinition, parseErrorDefinitionPatch } from './error-definition.ts';
import { isTimeZone } from './local-time.ts';
import type { ReportingSettings, SettingsProvider } from './ports.ts';
import { defaultEmailTemplate, type EmailTemplateSettings, parseEmailTemplateSettings } from './templates/snippets.ts';

declare module '../tenancy/index.ts' {
  interface SettingValues {
    'reporting.timeZone': string;
    'reporting.reportHour': number;
    'reporting.content': ReportContent;
    'reporting.errorDefinition': ErrorDefinition;
    'reporting.emailTemplate': EmailTemplateSettings;
    'reporting.agentOfflineHours': number;
  }
}

function problemOf(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const nullableString = (maxLength: number) => ({ anyOf: [{ type: 'null' }, { type: 'string', maxLength }] });

/**
 * Reporting's inherited settings, registered with tenancy's one mechanism (set at any unit,
 * effective at its subtree unless overridden or locked). Runs once, when this module loads.
 */
let registered = false;

export function registerReportingSettings(): void {
  if (registered) return;
  registered = true;
  registerSettingDefinition({
    key: 'reporting.timeZone',
    description: 'IANA time zone whose days the unit’s daily reports cover and whose clock schedules them.',
    schema: { type: 'string', minLength: 1, maxLength: 64 },
    default: 'UTC',
    check: (value) => (isTimeZone(value) ? null : `'${value}' is not an IANA time zone such as Europe/Berlin`),
  });
  registerSettingDefinition({
    key: 'reporting.reportHour',
    description: 'Local hour (0-23) from which each day’s status report is generated and sent.',
    schema: { type: 'integer', minimum: 0, maximum: 23 },
    default: 6,
  });
  registerSettingDefinition({
    key: 'reporting.content',
    description: 'Sections of the status report (problems, dataSources, consumption, quotas) and layout.',
    schema: {
      type: 'object',
      properties: {
        sections: {
          type: 'object',
          properties: {
            problems: { type: 'boolean' },
            dataSources: { type: 'boolean' },
            consumption: { type: 'boolean' },
            quotas: { type: 'boolean' },
          },
          additionalProperties: false,
        },
        groupByUnit: { type: 'boolean' },
        onlyDataSourcesWithIssues: { type: 'boolean' },
      },
      additionalProperties: false,
    },
    default: defaultReportContent,
    check: (value) => problemOf(() => parseReportContent(value)),
  });
  registerSettingDefinition({
    key: 'reporting.errorDefinition',
    description: 'What counts as an error by default; each subscriber may override parts of it.',
    schema: {
      type: 'object',
      properties: {
        warningsAreErrors: { type: 'boolean' },
        missedAreErrors: { type: 'boolean' },
        quotaBreachesAreErrors: { type: 'boolean' },
        maxSnapshotAgeHours: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 1, maximum: 8784 }] },
      },
      required: ['warningsAreErrors', 'missedAreErrors', 'quotaBreachesAreErrors', 'maxSnapshotAgeHours'],
      additionalProperties: false,
    },
    default: defaultErrorDefinition,
    check: (value) => problemOf(() => parseErrorDefinitionPatch(value)),
  });
  registerSettingDefinition({
    key: 'reporting.emailTemplate',
    description:
      'Subject, intro and footer of report e-mails as Liquid snippets over fixed fields (see docs/reporting.md); null parts use the built-in text.',
    schema: {
      type: 'object',
      properties: { subject: nullableString(300), intro: nullableString(4000), footer: nullableString(2000) },
      additionalProperties: false,
    },
    default: defaultEmailTemplate,
    check: (value) => problemOf(() => parseEmailTemplateSettings(value)),
  });
  registerSettingDefinition({
    key: 'reporting.agentOfflineHours',
    description: 'An agent silent for longer than this many hours raises an agent.offline alert.',
    schema: { type: 'integer', minimum: 1, maximum: 720 },
    default: 24,
  });
}

/** Reads reporting's effective settings at a unit through tenancy; bad stored values fall back to defaults. */
export function tenancySettingsProvider(database: Database): SettingsProvider {
  registerReportingSettings();
  return Object.freeze({
    async settingsFor(buId: string): Promise<ReportingSettings> {
      const [timeZone, reportHour, content, errorDefinition, emailTemplate, agentOfflineHours] = await Promise.all([
        effectiveSetting(database, buId, 'reporting.timeZone'),
        effectiveSetting(database, buId, 'reporting.reportHour'),
        effectiveSetting(database, buId, 'reporting.content'),
        effectiveSetting(database, buId, 'reporting.errorDefinition'),
        effectiveSetting(database, buId, 'reporting.emailTemplate'),
        effectiveSetting(database, buId, 'reporting.agentOfflineHours'),
      ]);
      return {
        timeZone: isTimeZone(timeZone.value) ? timeZone.value : 'UTC',
        reportHour: reportHour.value,
        content: safe(() => parseReportContent(content.value), defaultReportContent),
        errorDefinition: safe(
          () => ({ ...defaultErrorDefinition, ...parseErrorDefinitionPatch(errorDefinition.value) }),
          defaultErrorDefinition,
        ),
        emailTemplate: safe(() => parseEmailTemplateSettings(emailTemplate.value), defaultEmailTemplate),
        agentOfflineHours: agentOfflineHours.value,
      };
    },
    async scheduleFor(buId: string) {
      const [timeZone, reportHour] = await Promise.all([
        effectiveSetting(database, buId, 'reporting.timeZone'),
        effectiveSetting(database, buId, 'reporting.reportHour'),
      ]);
      return { timeZone: isTimeZone(timeZone.value) ? timeZone.value : 'UTC', reportHour: reportHour.value };
    },
    async agentOfflineHoursFor(buId: string) {
      return (await effectiveSetting(database, buId, 'reporting.agentOfflineHours')).value;
    },
  });
}

function safe<T>(parse: () => T, fallback: T): T {
  try {
    return parse();
  } catch {
    return fallback;
  }
}

registerReportingSettings();
