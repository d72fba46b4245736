import type { ReportContent } from './content.ts';
import type { ErrorDefinition } from './error-definition.ts';
import type { EmailTemplateSettings } from './templates/snippets.ts';

/** The effective brand of a unit, as mail is dressed in it (tenancy owns the values). */
export interface ReportBrand {
  readonly displayName: string;
  /** `#rrggbb`; anything else is replaced by the default colour when rendering. */
  readonly primaryColor: string;
  readonly accentColor: string;
  readonly senderName: string;
  readonly senderAddress: string;
  readonly logo: { readonly contentType: string; readonly data: Uint8Array } | null;
}

export interface BrandProvider {
  brandFor(buId: string): Promise<ReportBrand>;
}

/** Reporting's inherited settings in force at one unit. */
export interface ReportingSettings {
  /** IANA zone whose calendar days the unit's reports cover. */
  readonly timeZone: string;
  /** Local hour (0-23) from which the day's report is generated and sent. */
  readonly reportHour: number;
  readonly content: ReportContent;
  /** The default error definition; subscribers override parts of it. */
  readonly errorDefinition: ErrorDefinition;
  readonly emailTemplate: EmailTemplateSettings;
  /** An agent silent for longer than this raises an `agent.offline` alert. */
  readonly agentOfflineHours: number;
}

export interface SettingsProvider {
  settingsFor(buId: string): Promise<ReportingSettings>;
  /** Only the two settings the scheduling tick needs (cheaper: it asks for many units often). */
  scheduleFor(buId: string): Promise<Pick<ReportingSettings, 'timeZone' | 'reportHour'>>;
  agentOfflineHoursFor(buId: string): Promise<number>;
}

/** Seals secrets at rest (the server's secret box); `context` binds a sealed value to its use. */
export interface SecretSealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}
