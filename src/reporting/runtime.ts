import { type Clock, ConfigError, type Database } from '../platform/index.ts';
import {
  type BackoffPolicy,
  type JobHandler,
  type JobLog,
  type JobQueue,
  PermanentJobError,
  type ScheduleInput,
} from '../platform/jobs/index.ts';
import { billingEventSource } from './adapters/billing.ts';
import { tenancyBrandProvider } from './adapters/tenancy-brand.ts';
import { usageEventSource, usageModuleProvider } from './adapters/usage.ts';
import { checkAgents } from './agent-watch.ts';
import { unprocessedEventIds } from './alert-store.ts';
import { processEvent, sweepEventsJob } from './alerts.ts';
import { reportingDb } from './db.ts';
import type { MailOptions, ReportingDeps, WebhookOptions } from './deps.ts';
import { type ExternalEventSource, pumpEvents } from './event-sources.ts';
import { type EventInput, processEventJob, recordEvent } from './events.ts';
import { flushOutbox, flushOutboxJob } from './outbox.ts';
import type { BrandProvider, SecretSealer, SettingsProvider } from './ports.ts';
import { deliverReport } from './report-delivery.ts';
import type { DataSourceProvider, UsageProvider } from './report-model.ts';
import { enqueueDueReports, reportTickJob } from './report-tick.ts';
import { tenancySettingsProvider } from './settings.ts';
import { createSmtpTransport, defaultSenderFromEnv, type SmtpSettings, smtpSettingsFromEnv } from './smtp.ts';
import {
  type GenerateReportPayload,
  generateReportJob,
  generateServerReport,
  generateUnitReport,
} from './status-report.ts';
import { flushWebhooks, flushWebhooksJob } from './webhook-delivery.ts';
import { resolveHost } from './webhook-url.ts';

/** Everything reporting needs; the providers of other modules default to their real adapters. */
export interface ReportingOptions {
  readonly database: Database;
  readonly clock: Clock;
  readonly log: JobLog;
  readonly queue: JobQueue;
  /** The data path's view of data sources; its production implementation comes with the server data path. */
  readonly dataSources: DataSourceProvider;
  readonly secrets: SecretSealer;
  readonly usage?: UsageProvider;
  readonly brands?: BrandProvider;
  readonly settings?: SettingsProvider;
  /** Outboxes of other modules drained by the tick (default: usage's quota changes, billing's posted runs). */
  readonly eventSources?: readonly ExternalEventSource[];
  /** The data path's events (backup outcomes, verification), drained with the default sources. */
  readonly dataPathEvents?: ExternalEventSource;
  readonly mail?: Partial<MailOptions> & { readonly defaultSmtp: SmtpSettings | null; readonly defaultSender?: string };
  readonly webhooks?: Partial<WebhookOptions>;
}

/** Reporting wired up: its dependencies, job handlers and recurring schedules. */
export interface ReportingRuntime {
  readonly deps: ReportingDeps;
  readonly eventSources: readonly ExternalEventSource[];
  /** Stores an event for alerting; pass the producer's transaction to commit both together. */
  emitEvent(input: EventInput, options?: { transaction?: unknown }): Promise<{ id: string; created: boolean }>;
}

const mailBackoff: BackoffPolicy = Object.freeze({ baseMs: 30_000, capMs: 15 * 60_000 });
const webhookBackoff: BackoffPolicy = Object.freeze({ baseMs: 30_000, capMs: 60 * 60_000 });

/** Equal jitter: at least half the exponential delay, so failures spread out but retries never bunch at zero. */
function halfJitter(): number {
  return 0.5 + Math.random() / 2;
}

export function createReporting(options: ReportingOptions): ReportingRuntime {
  const mail: MailOptions = Object.freeze({
    defaultSmtp: options.mail?.defaultSmtp ?? null,
    defaultSender: options.mail?.defaultSender ?? 'coffer@localhost',
    createTransport: options.mail?.createTransport ?? ((settings: SmtpSettings) => createSmtpTransport(settings)),
    backoff: options.mail?.backoff ?? mailBackoff,
    maxAttempts: options.mail?.maxAttempts ?? 100,
    leaseMs: options.mail?.leaseMs ?? 5 * 60_000,
    random: options.mail?.random ?? halfJitter,
  });
  const webhooks: WebhookOptions = Object.freeze({
    allowInsecureLoopback: options.webhooks?.allowInsecureLoopback ?? false,
    resolve: options.webhooks?.resolve ?? resolveHost,
    timeoutMs: options.webhooks?.timeoutMs ?? 10_000,
    backoff: options.webhooks?.backoff ?? webhookBackoff,
    maxAttempts: options.webhooks?.maxAttempts ?? 12,
    disableAfterFailures: options.webhooks?.disableAfterFailures ?? 20,
    leaseMs: options.webhooks?.leaseMs ?? 2 * 60_000,
    random: options.webhooks?.random ?? halfJitter,
  });
  const deps: ReportingDeps = Object.freeze({
    database: options.database,
    clock: options.clock,
    log: options.log,
    queue: options.queue,
    dataSources: options.dataSources,
    usage: options.usage ?? usageModuleProvider(options.database),
    brands: options.brands ?? tenancyBrandProvider(options.database),
    settings: options.settings ?? tenancySettingsProvider(options.database),
    secrets: options.secrets,
    mail,
    webhooks,
  });
  const eventSources = options.eventSources ?? [
    usageEventSource(options.database, options.clock),
    billingEventSource(options.database, options.clock),
    ...(options.dataPathEvents ? [options.dataPathEvents] : []),
  ];
  return Object.freeze({
    deps,
    eventSources,
    emitEvent(input: EventInput, emitOptions: { transaction?: unknown } = {}) {
      const db = (emitOptions.transaction as ReturnType<typeof reportingDb> | undefined) ?? reportingDb(deps.database);
      return recordEvent(db, deps.queue, input, deps.clock.now());
    },
  });
}

/** Reporting settings from the environment: COFFER_SMTP_*, COFFER_MAIL_FROM, COFFER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK. */
export function reportingOptionsFromEnv(env: NodeJS.ProcessEnv): Pick<ReportingOptions, 'mail' | 'webhooks'> {
  const loopback = env.COFFER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK?.trim();
  if (loopback !== undefined && loopback !== '' && loopback !== 'true' && loopback !== 'false') {
    throw new ConfigError('COFFER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK must be true or false');
  }
  return {
    mail: { defaultSmtp: smtpSettingsFromEnv(env), defaultSender: defaultSenderFromEnv(env) },
    webhooks: { allowInsecureLoopback: loopback === 'true' },
  };
}

function payloadOf(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PermanentJobError('job payload must be an object');
  }
  return value as Record<string, unknown>;
}

/** Events older than this without processing were orphaned (their job died): the tick processes them. */
const orphanedEventMs = 10 * 60_000;

/** Handlers of reporting's job kinds, for the worker. */
export function reportingJobHandlers(runtime: ReportingRuntime): Readonly<Record<string, JobHandler>> {
  const { deps } = runtime;
  return Object.freeze({
    [reportTickJob]: async () => {
      const due = await enqueueDueReports(deps);
      const pumped = await pumpEvents(deps, runtime.eventSources);
      const agents = await checkAgents(deps);
      return { reportsDue: due.length, eventsPumped: pumped, agentEvents: agents };
    },
    [generateReportJob]: async (job) => {
      const payload = payloadOf(job.payload) as unknown as GenerateReportPayload;
      if (
        typeof payload.buId !== 'string' ||
        typeof payload.date !== 'string' ||
        typeof payload.timeZone !== 'string'
      ) {
        throw new PermanentJobError('generate-report needs buId, kind, date and timeZone');
      }
      const input = { buId: payload.buId, date: payload.date, timeZone: payload.timeZone };
      const { row, created } =
        payload.kind === 'server' ? await generateServerReport(deps, input) : await generateUnitReport(deps, input);
      const decisions = await deliverReport(deps, row);
      return { reportId: row.id, created, queued: decisions.filter((d) => d.decision === 'queued').length };
    },
    [processEventJob]: async (job) => {
      const eventId = payloadOf(job.payload).eventId;
      if (typeof eventId !== 'string') throw new PermanentJobError('process-event needs eventId');
      return { notifications: await processEvent(deps, eventId) };
    },
    [sweepEventsJob]: async () => {
      const ids = await unprocessedEventIds(reportingDb(deps.database), deps.clock.now() - orphanedEventMs, 200);
      for (const id of ids) await processEvent(deps, id);
      return { processed: ids.length };
    },
    [flushOutboxJob]: async () => ({ ...(await flushOutbox(deps)) }),
    [flushWebhooksJob]: async () => ({ ...(await flushWebhooks(deps)) }),
  });
}

/** Recurring schedules: the report/alert tick every 5 minutes, retry sweeps every minute. */
export const reportingSchedules: readonly ScheduleInput[] = Object.freeze([
  { name: 'reporting.tick', cron: '*/5 * * * *', timezone: 'UTC', jobKind: reportTickJob },
  { name: 'reporting.outbox', cron: '* * * * *', timezone: 'UTC', jobKind: flushOutboxJob },
  { name: 'reporting.webhooks', cron: '* * * * *', timezone: 'UTC', jobKind: flushWebhooksJob },
  { name: 'reporting.sweep-events', cron: '*/10 * * * *', timezone: 'UTC', jobKind: sweepEventsJob },
]);
