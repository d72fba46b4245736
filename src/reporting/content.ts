import { ValidationError } from '../platform/index.ts';

/** Which parts a unit's report shows and how data sources are laid out (an inherited setting). */
export interface ReportContent {
  readonly sections: {
    readonly problems: boolean;
    readonly dataSources: boolean;
    readonly consumption: boolean;
    readonly quotas: boolean;
  };
  /** One table per unit of the subtree (true) or one table sorted by name (false). */
  readonly groupByUnit: boolean;
  /** List only data sources whose last backup was not a success. */
  readonly onlyDataSourcesWithIssues: boolean;
}

export const defaultReportContent: ReportContent = Object.freeze({
  sections: Object.freeze({ problems: true, dataSources: true, consumption: true, quotas: true }),
  groupByUnit: true,
  onlyDataSourcesWithIssues: false,
});

const sectionNames = ['problems', 'dataSources', 'consumption', 'quotas'] as const;

/** Validates a (partial) content setting over the defaults; throws ValidationError naming the field. */
export function parseReportContent(raw: unknown): ReportContent {
  if (raw === null || raw === undefined) return defaultReportContent;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError('report content must be an object');
  const value = raw as Record<string, unknown>;
  const sections: Record<string, boolean> = { ...defaultReportContent.sections };
  for (const key of Object.keys(value)) {
    if (!['sections', 'groupByUnit', 'onlyDataSourcesWithIssues'].includes(key)) {
      throw new ValidationError(
        `content.${key} is not a known field; allowed: sections, groupByUnit, onlyDataSourcesWithIssues`,
      );
    }
  }
  if (value.sections !== undefined) {
    if (value.sections === null || typeof value.sections !== 'object' || Array.isArray(value.sections)) {
      throw new ValidationError('content.sections must be an object');
    }
    for (const [key, on] of Object.entries(value.sections as Record<string, unknown>)) {
      if (!(sectionNames as readonly string[]).includes(key)) {
        throw new ValidationError(`content.sections.${key} is not a section; sections: ${sectionNames.join(', ')}`);
      }
      if (typeof on !== 'boolean') throw new ValidationError(`content.sections.${key} must be true or false`);
      sections[key] = on;
    }
  }
  for (const key of ['groupByUnit', 'onlyDataSourcesWithIssues'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'boolean') {
      throw new ValidationError(`content.${key} must be true or false`);
    }
  }
  return Object.freeze({
    sections: Object.freeze(sections) as unknown as ReportContent['sections'],
    groupByUnit: (value.groupByUnit as boolean | undefined) ?? defaultReportContent.groupByUnit,
    onlyDataSourcesWithIssues:
      (value.onlyDataSourcesWithIssues as boolean | undefined) ?? defaultReportContent.onlyDataSourcesWithIssues,
  });
}
