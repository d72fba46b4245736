import type { FastifyInstance } from 'fastify';
import type { Clock, Database, Logger } from '../platform/index.ts';
import { createJobQueue } from '../platform/jobs/index.ts';
import {
  createAlertSubscription,
  createMaintenanceWindow,
  deleteAlertSubscription,
  deleteMaintenanceWindow,
  listAlertIncidents,
  listAlertSubscriptions,
  listMaintenanceWindows,
  updateAlertSubscription,
} from './alert-settings.ts';
import { clearSmtp, getSmtp, listOutbox, retryOutboxMessage, setSmtp } from './mail-admin.ts';
import type { SecretSealer } from './ports.ts';
import type { DataSourceProvider } from './report-model.ts';
import { generateReportNow, getReport, listUnitReports, renderReportHtml } from './reports.ts';
import { createReporting, type ReportingRuntime, reportingOptionsFromEnv } from './runtime.ts';
import * as schema from './schema.ts';
import {
  createSubscription,
  deleteSubscription,
  getSubscription,
  listSubscriptions,
  type SubscriptionInput,
  updateSubscription,
} from './subscriptions.ts';
import type { DeliveryStatus, OutboxStatus, ReportKind } from './tables.ts';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  getWebhookDelivery,
  listWebhookDeliveries,
  listWebhooks,
  redeliver,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookServiceDeps,
} from './webhooks.ts';

type BuParams = { Params: { id: string } };
type IdParams = { Params: { id: string } };
type Page = { limit: number; cursor?: string };

const api = '/api/v1';
const units = `${api}/business-units/:id`;

function privilege(name: 'report.read' | 'report.manage') {
  return { access: 'privilege' as const, privilege: name };
}

/** A data path that has no data sources yet: reports list none until the server data path provides its own. */
export const noDataSources: DataSourceProvider = Object.freeze({
  listForSubtree: async () => [],
  listUnassigned: async () => [],
  storageProblems: async () => [],
});

export interface ReportingRouteOptions {
  /** Seals webhook secrets and SMTP passwords (the server's secret box). */
  readonly secrets: SecretSealer;
  /** Source of COFFER_SMTP_*, COFFER_MAIL_FROM, COFFER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly dataSources?: DataSourceProvider;
  /** A runtime built elsewhere (tests); default: built here from the server's database and clock. */
  readonly runtime?: ReportingRuntime;
}

/**
 * Registers reports, subscriptions, alerts, maintenance windows, webhooks and mail routes.
 * Every route reads the caller from `request.ctx` and calls one service function, which asks
 * the access module (`report.read` / `report.manage`) on the resource's unit first.
 */
export function registerReportingRoutes(
  app: FastifyInstance,
  server: { database: Database; clock: Clock; log: Logger },
  options: ReportingRouteOptions,
): ReportingRuntime {
  const runtime =
    options.runtime ??
    createReporting({
      database: server.database,
      clock: server.clock,
      log: server.log,
      queue: createJobQueue({ database: server.database, clock: server.clock }),
      dataSources: options.dataSources ?? noDataSources,
      secrets: options.secrets,
      ...reportingOptionsFromEnv(options.env ?? process.env),
    });
  const { deps } = runtime;
  const hooks: WebhookServiceDeps = { secrets: deps.secrets, options: deps.webhooks, queue: deps.queue };

  // Reports
  app.get<BuParams & { Querystring: Page & { kind: ReportKind; from?: string; to?: string } }>(
    `${units}/reports`,
    { config: privilege('report.read'), schema: schema.listReportsSchema },
    async (request) => {
      const { kind, limit, cursor, from, to } = request.query;
      const page = await listUnitReports(request.ctx, request.params.id, {
        kind,
        limit,
        ...(cursor ? { before: cursor } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      return { items: page.reports, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  );
  app.post<BuParams & { Body: { kind?: ReportKind } }>(
    `${units}/reports`,
    { config: privilege('report.manage'), schema: schema.generateReportSchema },
    async (request, reply) =>
      reply.status(201).send(await generateReportNow(request.ctx, deps, request.params.id, request.body?.kind ?? 'bu')),
  );
  app.get<IdParams>(
    `${api}/reports/:id`,
    { config: privilege('report.read'), schema: schema.getReportSchema },
    (request) => getReport(request.ctx, request.params.id),
  );
  app.get<IdParams>(
    `${api}/reports/:id/html`,
    { config: privilege('report.read'), schema: schema.getReportHtmlSchema },
    async (request, reply) =>
      reply.type('text/html; charset=utf-8').send(await renderReportHtml(request.ctx, deps, request.params.id)),
  );

  // Report subscriptions
  app.get<BuParams & { Querystring: { effective: boolean; reportKind?: ReportKind } }>(
    `${units}/report-subscriptions`,
    { config: privilege('report.read'), schema: schema.listSubscriptionsSchema },
    async (request) => ({
      items: await listSubscriptions(request.ctx, request.params.id, {
        effective: request.query.effective,
        ...(request.query.reportKind ? { reportKind: request.query.reportKind } : {}),
      }),
    }),
  );
  app.post<BuParams & { Body: SubscriptionInput }>(
    `${units}/report-subscriptions`,
    { config: privilege('report.manage'), schema: schema.createSubscriptionSchema },
    async (request, reply) =>
      reply.status(201).send(await createSubscription(request.ctx, request.params.id, request.body)),
  );
  app.get<IdParams>(
    `${api}/report-subscriptions/:id`,
    { config: privilege('report.read'), schema: schema.getSubscriptionSchema },
    (request) => getSubscription(request.ctx, request.params.id),
  );
  app.patch<IdParams & { Body: Omit<Partial<SubscriptionInput>, 'subscriber' | 'reportKind'> }>(
    `${api}/report-subscriptions/:id`,
    { config: privilege('report.manage'), schema: schema.updateSubscriptionSchema },
    (request) => updateSubscription(request.ctx, request.params.id, request.body),
  );
  app.delete<IdParams>(
    `${api}/report-subscriptions/:id`,
    { config: privilege('report.manage'), schema: schema.deleteSubscriptionSchema },
    async (request, reply) => {
      await deleteSubscription(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );

  // Alert subscriptions, maintenance windows, incidents
  app.get<BuParams>(
    `${units}/alert-subscriptions`,
    { config: privilege('report.read'), schema: schema.listAlertSubscriptionsSchema },
    async (request) => ({ items: await listAlertSubscriptions(request.ctx, request.params.id) }),
  );
  app.post<BuParams & { Body: { subscriber: unknown; eventTypes: unknown; enabled?: unknown } }>(
    `${units}/alert-subscriptions`,
    { config: privilege('report.manage'), schema: schema.createAlertSubscriptionSchema },
    async (request, reply) =>
      reply.status(201).send(await createAlertSubscription(request.ctx, request.params.id, request.body)),
  );
  app.patch<IdParams & { Body: { eventTypes?: unknown; enabled?: unknown } }>(
    `${api}/alert-subscriptions/:id`,
    { config: privilege('report.manage'), schema: schema.updateAlertSubscriptionSchema },
    (request) => updateAlertSubscription(request.ctx, request.params.id, request.body),
  );
  app.delete<IdParams>(
    `${api}/alert-subscriptions/:id`,
    { config: privilege('report.manage'), schema: schema.deleteAlertSubscriptionSchema },
    async (request, reply) => {
      await deleteAlertSubscription(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );
  app.get<BuParams>(
    `${units}/maintenance-windows`,
    { config: privilege('report.read'), schema: schema.listMaintenanceWindowsSchema },
    async (request) => ({ items: await listMaintenanceWindows(request.ctx, request.params.id) }),
  );
  app.post<BuParams & { Body: { startsAt: string; endsAt: string; reason?: string } }>(
    `${units}/maintenance-windows`,
    { config: privilege('report.manage'), schema: schema.createMaintenanceWindowSchema },
    async (request, reply) =>
      reply.status(201).send(await createMaintenanceWindow(request.ctx, request.params.id, request.body)),
  );
  app.delete<IdParams>(
    `${api}/maintenance-windows/:id`,
    { config: privilege('report.manage'), schema: schema.deleteMaintenanceWindowSchema },
    async (request, reply) => {
      await deleteMaintenanceWindow(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );
  app.get<BuParams & { Querystring: Page & { status?: 'open' | 'resolved' } }>(
    `${units}/alerts`,
    { config: privilege('report.read'), schema: schema.listIncidentsSchema },
    async (request) => {
      const page = await listAlertIncidents(request.ctx, request.params.id, request.query);
      return { items: page.incidents, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  );

  // Webhooks
  app.get<BuParams>(
    `${units}/webhooks`,
    { config: privilege('report.read'), schema: schema.listWebhooksSchema },
    async (request) => ({ items: await listWebhooks(request.ctx, request.params.id) }),
  );
  app.post<BuParams & { Body: { url: string; eventTypes: string[]; description?: string } }>(
    `${units}/webhooks`,
    { config: privilege('report.manage'), schema: schema.createWebhookSchema },
    async (request, reply) =>
      reply.status(201).send(await createWebhook(request.ctx, hooks, request.params.id, request.body)),
  );
  app.get<IdParams>(
    `${api}/webhooks/:id`,
    { config: privilege('report.read'), schema: schema.getWebhookSchema },
    (request) => getWebhook(request.ctx, request.params.id),
  );
  app.patch<IdParams & { Body: { url?: string; eventTypes?: string[]; description?: string; status?: string } }>(
    `${api}/webhooks/:id`,
    { config: privilege('report.manage'), schema: schema.updateWebhookSchema },
    (request) => updateWebhook(request.ctx, hooks, request.params.id, request.body),
  );
  app.delete<IdParams>(
    `${api}/webhooks/:id`,
    { config: privilege('report.manage'), schema: schema.deleteWebhookSchema },
    async (request, reply) => {
      await deleteWebhook(request.ctx, request.params.id);
      return reply.status(204).send();
    },
  );
  app.post<IdParams>(
    `${api}/webhooks/:id/rotate-secret`,
    { config: privilege('report.manage'), schema: schema.rotateWebhookSecretSchema },
    (request) => rotateWebhookSecret(request.ctx, hooks, request.params.id),
  );
  app.get<IdParams & { Querystring: Page & { status?: DeliveryStatus } }>(
    `${api}/webhooks/:id/deliveries`,
    { config: privilege('report.read'), schema: schema.listDeliveriesSchema },
    async (request) => {
      const page = await listWebhookDeliveries(request.ctx, request.params.id, request.query);
      return { items: page.deliveries, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  );
  app.get<IdParams>(
    `${api}/webhook-deliveries/:id`,
    { config: privilege('report.read'), schema: schema.getDeliverySchema },
    (request) => getWebhookDelivery(request.ctx, request.params.id),
  );
  app.post<IdParams>(
    `${api}/webhook-deliveries/:id/redeliver`,
    { config: privilege('report.manage'), schema: schema.redeliverSchema },
    async (request, reply) => reply.status(202).send(await redeliver(request.ctx, hooks, request.params.id)),
  );

  // E-mail: outbox (dead letters) and SMTP overrides
  app.get<BuParams & { Querystring: Page & { status?: OutboxStatus } }>(
    `${units}/mail-outbox`,
    { config: privilege('report.manage'), schema: schema.listOutboxSchema },
    async (request) => {
      const page = await listOutbox(request.ctx, request.params.id, request.query);
      return { items: page.messages, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  );
  app.post<IdParams>(
    `${api}/mail-outbox/:id/retry`,
    { config: privilege('report.manage'), schema: schema.retryOutboxSchema },
    (request) => retryOutboxMessage(request.ctx, deps.queue, request.params.id),
  );
  app.get<BuParams>(`${units}/smtp`, { config: privilege('report.manage'), schema: schema.getSmtpSchema }, (request) =>
    getSmtp(request.ctx, deps.mail.defaultSmtp, request.params.id),
  );
  app.put<
    BuParams & {
      Body: { host: string; port: number; security: string; username?: string | null; password?: string | null };
    }
  >(`${units}/smtp`, { config: privilege('report.manage'), schema: schema.setSmtpSchema }, (request) =>
    setSmtp(request.ctx, deps.secrets, deps.mail.defaultSmtp, request.params.id, request.body),
  );
  app.delete<BuParams>(
    `${units}/smtp`,
    { config: privilege('report.manage'), schema: schema.clearSmtpSchema },
    (request) => clearSmtp(request.ctx, deps.mail.defaultSmtp, request.params.id),
  );
  return runtime;
}
