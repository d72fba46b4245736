import type { Clock, Database } from '../platform/index.ts';
import type { BackoffPolicy, JobLog, JobQueue } from '../platform/jobs/index.ts';
import type { BrandProvider, SecretSealer, SettingsProvider } from './ports.ts';
import type { DataSourceProvider, UsageProvider } from './report-model.ts';
import type { MailTransport, SmtpSettings } from './smtp.ts';
import type { HostResolver } from './webhook-url.ts';

export interface MailOptions {
  /** The installation-wide SMTP server; units may override it. Null: only overrides deliver. */
  readonly defaultSmtp: SmtpSettings | null;
  /** Sender address where the unit's brand names none. */
  readonly defaultSender: string;
  /** Builds a transport for one SMTP server (default: nodemailer). */
  readonly createTransport: (settings: SmtpSettings) => MailTransport;
  readonly backoff: BackoffPolicy;
  /** Attempts before a message is dead-lettered. */
  readonly maxAttempts: number;
  /** How long a sender holds a message before another process may retry it. */
  readonly leaseMs: number;
  readonly random: () => number;
}

export interface WebhookOptions {
  /** Development and tests only: allow loopback targets over plain http. */
  readonly allowInsecureLoopback: boolean;
  readonly resolve: HostResolver;
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
  /** Attempts per delivery before it is dead. */
  readonly maxAttempts: number;
  /** Consecutive failed attempts (over all deliveries) after which the webhook is disabled. */
  readonly disableAfterFailures: number;
  readonly leaseMs: number;
  readonly random: () => number;
}

/** Long-lived dependencies of the reporting module (STYLE rule 5: passed to the factory). */
export interface ReportingDeps {
  readonly database: Database;
  readonly clock: Clock;
  readonly log: JobLog;
  readonly queue: JobQueue;
  readonly dataSources: DataSourceProvider;
  readonly usage: UsageProvider;
  readonly brands: BrandProvider;
  readonly settings: SettingsProvider;
  readonly secrets: SecretSealer;
  readonly mail: MailOptions;
  readonly webhooks: WebhookOptions;
}
