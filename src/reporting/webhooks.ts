import { NotFoundError, newId, ValidationError } from '../platform/index.ts';
import type { JobQueue } from '../platform/jobs/index.ts';
import { actorId, type ReportingContext } from './context.ts';
import { reportingDb } from './db.ts';
import type { WebhookOptions } from './deps.ts';
import { alertTypes } from './events.ts';
import type { SecretSealer } from './ports.ts';
import { newWebhookSecret } from './signature.ts';
import type { DeliveryStatus } from './tables.ts';
import { hasControlCharacters } from './text.ts';
import { iso, isoOrNull } from './time-format.ts';
import { flushWebhooksJob, webhookSecretContext } from './webhook-delivery.ts';
import {
  attemptsOf,
  deleteWebhookRow,
  findDelivery,
  findWebhook,
  insertDelivery,
  insertWebhook,
  listDeliveries,
  updateWebhookRow,
  type WebhookRow,
  webhooksAt,
} from './webhook-store.ts';
import { checkWebhookUrl } from './webhook-url.ts';

export interface WebhookView {
  readonly id: string;
  readonly buId: string;
  readonly url: string;
  readonly description: string;
  readonly eventTypes: readonly string[];
  readonly status: 'active' | 'disabled';
  readonly consecutiveFailures: number;
  readonly disabledAt: string | null;
  readonly disabledReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Reporting's webhook service; `secrets` seals signing secrets, `options` holds the URL policy. */
export interface WebhookServiceDeps {
  readonly secrets: SecretSealer;
  readonly options: WebhookOptions;
  readonly queue: JobQueue;
}

function view(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    buId: row.bu_id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.event_types) as string[],
    status: row.status,
    consecutiveFailures: row.consecutive_failures,
    disabledAt: isoOrNull(row.disabled_at),
    disabledReason: row.disabled_reason,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

function parseEventTypes(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ValidationError(`eventTypes must list at least one of ${alertTypes.join(', ')}`);
  }
  for (const type of raw) {
    if (!alertTypes.includes(type as (typeof alertTypes)[number])) {
      throw new ValidationError(
        `eventTypes: '${String(type)}' is not an event type; allowed: ${alertTypes.join(', ')}`,
      );
    }
  }
  return alertTypes.filter((type) => raw.includes(type));
}

function parseDescription(raw: unknown): string {
  if (raw === undefined) return '';
  if (typeof raw !== 'string' || raw.length > 500 || hasControlCharacters(raw)) {
    throw new ValidationError('description must be at most 500 characters without control characters');
  }
  return raw.trim();
}

async function loadForCaller(ctx: ReportingContext, id: string, privilege: string): Promise<WebhookRow> {
  const row = await findWebhook(reportingDb(ctx.database), id);
  if (!row) throw new NotFoundError('Webhook');
  await ctx.access.require(privilege, row.bu_id, 'Webhook');
  return row;
}

/**
 * Creates a webhook for events of `buId`'s subtree. The URL must be https and resolve only
 * to public addresses (checked now and at every delivery). Returns the signing secret once;
 * only its sealed form is stored. Requires `report.manage`.
 */
export async function createWebhook(
  ctx: ReportingContext,
  deps: WebhookServiceDeps,
  buId: string,
  input: { url: unknown; eventTypes: unknown; description?: unknown },
): Promise<WebhookView & { secret: string }> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  const eventTypes = parseEventTypes(input.eventTypes);
  const description = parseDescription(input.description);
  const checked = await checkWebhookUrl(String(input.url ?? ''), deps.options);
  const now = ctx.clock.now();
  const id = newId(now);
  const secret = newWebhookSecret();
  const row: WebhookRow = {
    id,
    bu_id: buId,
    url: checked.url.toString(),
    description,
    event_types: JSON.stringify(eventTypes),
    secret_sealed: deps.secrets.seal(secret, webhookSecretContext(id)),
    status: 'active',
    consecutive_failures: 0,
    disabled_at: null,
    disabled_reason: null,
    created_by: actorId(ctx),
    created_at: now,
    updated_at: now,
  };
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertWebhook(trx, row);
      await ctx.audit.record(
        {
          action: 'webhook.create',
          buId,
          resourceType: 'webhook',
          resourceId: id,
          after: { url: row.url, eventTypes, description },
        },
        trx,
      );
    });
  return { ...view(row), secret };
}

export async function listWebhooks(ctx: ReportingContext, buId: string): Promise<WebhookView[]> {
  await ctx.access.require('report.read', buId, 'Business unit');
  return (await webhooksAt(reportingDb(ctx.database), buId)).map(view);
}

export async function getWebhook(ctx: ReportingContext, id: string): Promise<WebhookView> {
  return view(await loadForCaller(ctx, id, 'report.read'));
}

/**
 * Changes URL, event types, description, or status (`active` re-enables a disabled webhook,
 * clearing its failure streak; its waiting deliveries resume). Requires `report.manage`.
 */
export async function updateWebhook(
  ctx: ReportingContext,
  deps: WebhookServiceDeps,
  id: string,
  patch: { url?: unknown; eventTypes?: unknown; description?: unknown; status?: unknown },
): Promise<WebhookView> {
  const row = await loadForCaller(ctx, id, 'report.manage');
  const values: Partial<WebhookRow> = {};
  if (patch.url !== undefined) values.url = (await checkWebhookUrl(String(patch.url), deps.options)).url.toString();
  if (patch.eventTypes !== undefined) values.event_types = JSON.stringify(parseEventTypes(patch.eventTypes));
  if (patch.description !== undefined) values.description = parseDescription(patch.description);
  if (patch.status !== undefined) {
    if (patch.status !== 'active' && patch.status !== 'disabled') {
      throw new ValidationError("status must be 'active' or 'disabled'");
    }
    if (patch.status !== row.status) {
      values.status = patch.status;
      values.consecutive_failures = 0;
      values.disabled_at = patch.status === 'disabled' ? ctx.clock.now() : null;
      values.disabled_reason = patch.status === 'disabled' ? 'disabled by a user' : null;
    }
  }
  const now = ctx.clock.now();
  values.updated_at = now;
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await updateWebhookRow(trx, id, values);
      await ctx.audit.record(
        {
          action: 'webhook.update',
          buId: row.bu_id,
          resourceType: 'webhook',
          resourceId: id,
          before: { url: row.url, eventTypes: JSON.parse(row.event_types), status: row.status },
          after: {
            url: values.url ?? row.url,
            eventTypes: JSON.parse(values.event_types ?? row.event_types),
            status: values.status ?? row.status,
          },
        },
        trx,
      );
      if (values.status === 'active') {
        await deps.queue.enqueue(flushWebhooksJob, {}, { transaction: trx });
      }
    });
  return getWebhook(ctx, id);
}

/** Issues a new signing secret (shown once); the old one stops working at once. */
export async function rotateWebhookSecret(
  ctx: ReportingContext,
  deps: WebhookServiceDeps,
  id: string,
): Promise<WebhookView & { secret: string }> {
  const row = await loadForCaller(ctx, id, 'report.manage');
  const secret = newWebhookSecret();
  const now = ctx.clock.now();
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await updateWebhookRow(trx, id, {
        secret_sealed: deps.secrets.seal(secret, webhookSecretContext(id)),
        updated_at: now,
      });
      await ctx.audit.record(
        { action: 'webhook.rotate_secret', buId: row.bu_id, resourceType: 'webhook', resourceId: id },
        trx,
      );
    });
  return { ...(await getWebhook(ctx, id)), secret };
}

export async function deleteWebhook(ctx: ReportingContext, id: string): Promise<void> {
  const row = await loadForCaller(ctx, id, 'report.manage');
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await deleteWebhookRow(trx, id);
      await ctx.audit.record(
        {
          action: 'webhook.delete',
          buId: row.bu_id,
          resourceType: 'webhook',
          resourceId: id,
          before: { url: row.url },
        },
        trx,
      );
    });
}

export interface DeliveryView {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly redeliveryOf: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
  readonly payload?: unknown;
  readonly attemptLog?: readonly {
    readonly at: string;
    readonly durationMs: number;
    readonly statusCode: number | null;
    readonly error: string | null;
    readonly responseExcerpt: string | null;
  }[];
}

function deliveryView(row: Awaited<ReturnType<typeof findDelivery>> & object): DeliveryView {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    redeliveryOf: row.redelivery_of,
    createdAt: iso(row.created_at),
    deliveredAt: isoOrNull(row.delivered_at),
  };
}

/** The delivery log of a webhook, newest first. Requires `report.read`. */
export async function listWebhookDeliveries(
  ctx: ReportingContext,
  webhookId: string,
  options: { status?: DeliveryStatus; limit: number; cursor?: string },
): Promise<{ deliveries: DeliveryView[]; nextCursor?: string }> {
  await loadForCaller(ctx, webhookId, 'report.read');
  const rows = await listDeliveries(reportingDb(ctx.database), webhookId, { ...options, limit: options.limit + 1 });
  const page = rows.slice(0, options.limit).map(deliveryView);
  return rows.length > options.limit
    ? { deliveries: page, nextCursor: page[page.length - 1]!.id }
    : { deliveries: page };
}

/** One delivery with its payload and every attempt. Requires `report.read`. */
export async function getWebhookDelivery(ctx: ReportingContext, deliveryId: string): Promise<DeliveryView> {
  const db = reportingDb(ctx.database);
  const row = await findDelivery(db, deliveryId);
  if (!row) throw new NotFoundError('Webhook delivery');
  await loadForCaller(ctx, row.webhook_id, 'report.read').catch((error: unknown) => {
    throw error instanceof NotFoundError ? new NotFoundError('Webhook delivery') : error;
  });
  const attempts = await attemptsOf(db, deliveryId);
  return {
    ...deliveryView(row),
    payload: JSON.parse(row.payload) as unknown,
    attemptLog: attempts.map((a) => ({
      at: iso(a.attempted_at),
      durationMs: a.duration_ms,
      statusCode: a.status_code,
      error: a.error,
      responseExcerpt: a.response_excerpt,
    })),
  };
}

/**
 * Sends a delivery's payload again as a new delivery (same event id inside the payload, so a
 * receiver that deduplicates can tell), e.g. after fixing the receiver. Requires `report.manage`.
 */
export async function redeliver(
  ctx: ReportingContext,
  deps: WebhookServiceDeps,
  deliveryId: string,
): Promise<DeliveryView> {
  const db = reportingDb(ctx.database);
  const original = await findDelivery(db, deliveryId);
  if (!original) throw new NotFoundError('Webhook delivery');
  const webhook = await findWebhook(db, original.webhook_id);
  if (!webhook) throw new NotFoundError('Webhook delivery');
  try {
    await ctx.access.require('report.manage', webhook.bu_id, 'Webhook delivery');
  } catch (error) {
    throw error instanceof NotFoundError ? new NotFoundError('Webhook delivery') : error;
  }
  const now = ctx.clock.now();
  const row = {
    ...original,
    id: newId(now),
    dedup_key: null,
    redelivery_of: original.id,
    status: 'pending' as const,
    attempts: 0,
    next_attempt_at: now,
    lease_owner: null,
    lease_expires_at: null,
    last_status_code: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    delivered_at: null,
  };
  await db.transaction().execute(async (trx) => {
    await insertDelivery(trx, row);
    await ctx.audit.record(
      {
        action: 'webhook.redeliver',
        buId: webhook.bu_id,
        resourceType: 'webhook_delivery',
        resourceId: row.id,
        after: { redeliveryOf: original.id },
      },
      trx,
    );
    await deps.queue.enqueue(
      flushWebhooksJob,
      {},
      { idempotencyKey: `reporting.webhooks:redeliver:${row.id}`, transaction: trx },
    );
  });
  return deliveryView(row);
}
