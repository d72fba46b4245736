import { Liquid, type Template } from 'liquidjs';
import { ValidationError } from '../../platform/index.ts';

/**
 * Administrator-supplied pieces of the report e-mail (subject, intro, footer), written in
 * Liquid with a fixed catalogue of fields. They are checked when saved — syntax, tags,
 * filters and every field they read — so a typo is a 400 at once, not a broken mail later.
 */
export interface EmailTemplateSettings {
  readonly subject: string | null;
  readonly intro: string | null;
  readonly footer: string | null;
}

export const defaultEmailTemplate: EmailTemplateSettings = Object.freeze({
  subject: null,
  intro: null,
  footer: null,
});

/** Every field a snippet may read, with what it holds (shown in docs/reporting.md). */
export const snippetFields: Readonly<Record<string, string>> = Object.freeze({
  'unit.name': "the report's business unit",
  'unit.code': 'its short code (may be empty)',
  'unit.path': 'names from the root of your tree down to the unit, joined by " / "',
  'brand.name': 'the effective brand name',
  'report.date': 'the report day, YYYY-MM-DD in the unit time zone',
  'report.kind': '"bu" for unit reports, "server" for the operators report',
  'report.dataSources': 'number of data sources covered',
  'report.problems': 'number of problems as the recipient defines errors',
  'report.failed': 'data sources whose last backup failed',
  'report.warnings': 'data sources whose last backup had warnings',
  'report.missed': 'data sources whose last backup was missed',
  'report.success': 'data sources whose last backup succeeded',
  'recipient.email': "the recipient's address",
  'recipient.name': "the recipient's display name (or address)",
});

/** The values a snippet is rendered with; keys mirror {@link snippetFields}. */
export interface SnippetScope {
  readonly unit: { readonly name: string; readonly code: string; readonly path: string };
  readonly brand: { readonly name: string };
  readonly report: {
    readonly date: string;
    readonly kind: string;
    readonly dataSources: number;
    readonly problems: number;
    readonly failed: number;
    readonly warnings: number;
    readonly missed: number;
    readonly success: number;
  };
  readonly recipient: { readonly email: string; readonly name: string };
}

const allowedTags = new Set([
  'if',
  'elsif',
  'else',
  'endif',
  'unless',
  'endunless',
  'case',
  'when',
  'endcase',
  'comment',
  'endcomment',
]);
const allowedFilters = new Set([
  'upcase',
  'downcase',
  'capitalize',
  'default',
  'append',
  'prepend',
  'replace',
  'strip',
  'truncate',
  'size',
  'plus',
  'minus',
]);
const limits = { subject: 300, intro: 4000, footer: 2000 } as const;

/**
 * Snippets are text: rendered without escaping, then escaped as a whole for HTML mail, so
 * neither a field value nor the administrator's own text can add markup or links. No file
 * system: a snippet cannot include the built-in templates.
 */
const textEngine = new Liquid({
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  relativeReference: false,
  fs: {
    exists: async () => false,
    existsSync: () => false,
    readFile: async () => '',
    readFileSync: () => '',
    resolve: (_dir: string, file: string) => file,
  },
});

const htmlEscapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => htmlEscapes[char] ?? char);
}

/** Parses and checks one snippet; throws ValidationError naming the field and what is wrong. */
function checkSnippet(field: keyof typeof limits, source: string): Template[] {
  if (source.length > limits[field]) {
    throw new ValidationError(`emailTemplate.${field} must be at most ${limits[field]} characters`);
  }
  if (field === 'subject' && /[\r\n]/.test(source)) {
    throw new ValidationError('emailTemplate.subject must be one line');
  }
  for (const match of source.matchAll(/{%-?\s*(\w+)/g)) {
    const tag = match[1] ?? '';
    if (!allowedTags.has(tag)) {
      throw new ValidationError(
        `emailTemplate.${field}: tag '${tag}' is not allowed; allowed: ${[...allowedTags].join(', ')}`,
      );
    }
  }
  for (const match of source.matchAll(/\|\s*([A-Za-z_]\w*)/g)) {
    const filter = match[1] ?? '';
    if (!allowedFilters.has(filter)) {
      throw new ValidationError(
        `emailTemplate.${field}: filter '${filter}' is not allowed; allowed: ${[...allowedFilters].join(', ')}`,
      );
    }
  }
  let templates: Template[];
  try {
    templates = textEngine.parse(source);
  } catch (error) {
    throw new ValidationError(`emailTemplate.${field} is not a valid template: ${(error as Error).message}`);
  }
  for (const segments of textEngine.globalVariableSegmentsSync(templates)) {
    const path = segments.map(String).join('.');
    if (!Object.hasOwn(snippetFields, path)) {
      throw new ValidationError(
        `emailTemplate.${field}: template field '${path}' does not exist; allowed: ${Object.keys(snippetFields).join(', ')}`,
        { field: path },
      );
    }
  }
  return templates;
}

/** Validates settings from a request or storage; null or missing parts mean the built-in text. */
export function parseEmailTemplateSettings(raw: unknown): EmailTemplateSettings {
  if (raw === null || raw === undefined) return defaultEmailTemplate;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError('emailTemplate must be an object');
  const value = raw as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(limits, key)) {
      throw new ValidationError(`emailTemplate.${key} is not a known field; allowed: subject, intro, footer`);
    }
  }
  const result: Record<string, string | null> = {};
  for (const field of Object.keys(limits) as (keyof typeof limits)[]) {
    const source = value[field];
    if (source === undefined || source === null || source === '') {
      result[field] = null;
      continue;
    }
    if (typeof source !== 'string') throw new ValidationError(`emailTemplate.${field} must be a string`);
    checkSnippet(field, source);
    result[field] = source;
  }
  return Object.freeze(result) as unknown as EmailTemplateSettings;
}

/** Renders a checked snippet; `html` escapes the whole result. */
export function renderSnippet(source: string, scope: SnippetScope, mode: 'html' | 'text'): string {
  const text = String(textEngine.parseAndRenderSync(source, scope as unknown as Record<string, unknown>));
  return mode === 'html' ? escapeHtml(text) : text;
}
