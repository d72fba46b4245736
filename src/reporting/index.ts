// Public entry of the reporting module: daily status and server reports, report and alert
// subscriptions, the e-mail outbox (SMTP), alerts with incidents and maintenance windows,
// and signed webhooks. Importing it registers reporting's inherited settings with tenancy.
import './settings.ts';

export type { ReportContent } from './content.ts';
export type { ErrorDefinition } from './error-definition.ts';
export { type ExternalEventSource, pumpEvents } from './event-sources.ts';
export { type AlertType, alertTypes, type EventInput, type EventType, eventTypes } from './events.ts';
export type { BrandProvider, ReportBrand, ReportingSettings, SecretSealer, SettingsProvider } from './ports.ts';
export type {
  BackupOutcome,
  ConsumptionFigures,
  DataSourceProvider,
  DataSourceStatus,
  QuotaEntry,
  StorageProblem,
  UnassignedDataSource,
  UsageProvider,
} from './report-model.ts';
export { noDataSources, type ReportingRouteOptions, registerReportingRoutes } from './routes.ts';
export {
  createReporting,
  type ReportingOptions,
  type ReportingRuntime,
  reportingJobHandlers,
  reportingOptionsFromEnv,
  reportingSchedules,
} from './runtime.ts';
export { signatureHeader, signPayload, verifySignature } from './signature.ts';
export { defaultSenderFromEnv, type SmtpSettings, smtpSettingsFromEnv } from './smtp.ts';
export type { ReportingTables } from './tables.ts';
