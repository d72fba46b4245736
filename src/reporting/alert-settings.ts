import { ConflictError, NotFoundError, newId, ValidationError } from '../platform/index.ts';
import {
  type AlertSubscriptionRow,
  alertSubscriptionsAt,
  deleteAlertSubscriptionRow,
  deleteMaintenanceWindowRow,
  findAlertSubscription,
  findMaintenanceWindow,
  type IncidentRow,
  insertAlertSubscription,
  insertMaintenanceWindow,
  listIncidents,
  type MaintenanceWindowRow,
  maintenanceWindowsAt,
  updateAlertSubscriptionRow,
} from './alert-store.ts';
import { actorId, type ReportingContext } from './context.ts';
import { reportingDb } from './db.ts';
import { alertTypes } from './events.ts';
import { findUserRecipients } from './subscriber-store.ts';
import { resolveSubscriber } from './subscribers.ts';
import { hasControlCharacters } from './text.ts';
import { iso, isoOrNull } from './time-format.ts';

export interface AlertSubscriptionView {
  readonly id: string;
  readonly buId: string;
  readonly subscriber:
    | { readonly kind: 'user'; readonly userId: string; readonly email: string | null; readonly name: string | null }
    | { readonly kind: 'email'; readonly email: string };
  readonly eventTypes: readonly string[];
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

function parseAlertTypes(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ValidationError(`eventTypes must list at least one of ${alertTypes.join(', ')}`);
  }
  for (const type of raw) {
    if (!alertTypes.includes(type as (typeof alertTypes)[number])) {
      throw new ValidationError(
        `eventTypes: '${String(type)}' is not an alert type; allowed: ${alertTypes.join(', ')}`,
      );
    }
  }
  return alertTypes.filter((type) => raw.includes(type));
}

async function subscriptionViews(ctx: ReportingContext, rows: readonly AlertSubscriptionRow[]) {
  const users = new Map(
    (
      await findUserRecipients(
        reportingDb(ctx.database),
        rows.flatMap((r) => (r.user_id ? [r.user_id] : [])),
      )
    ).map((u) => [u.id, u]),
  );
  return rows.map((row): AlertSubscriptionView => {
    const user = row.user_id ? users.get(row.user_id) : undefined;
    return {
      id: row.id,
      buId: row.bu_id,
      subscriber: row.user_id
        ? { kind: 'user', userId: row.user_id, email: user?.email ?? null, name: user?.display_name ?? null }
        : { kind: 'email', email: row.email ?? '' },
      eventTypes: JSON.parse(row.event_types) as string[],
      enabled: row.enabled === 1,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  });
}

/**
 * Subscribes a user or address to alerts about `buId`'s subtree. A subscription of the same
 * subscriber lower in the tree overrides this one there (e.g. other event types, or disabled).
 * Requires `report.manage`.
 */
export async function createAlertSubscription(
  ctx: ReportingContext,
  buId: string,
  input: { subscriber: unknown; eventTypes: unknown; enabled?: unknown },
): Promise<AlertSubscriptionView> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  const db = reportingDb(ctx.database);
  const eventTypes = parseAlertTypes(input.eventTypes);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    throw new ValidationError('enabled must be true or false');
  }
  const subscriber = await resolveSubscriber(ctx, db, buId, input.subscriber);
  const now = ctx.clock.now();
  const row: AlertSubscriptionRow = {
    id: newId(now),
    bu_id: buId,
    subscriber_key: subscriber.key,
    user_id: subscriber.userId,
    email: subscriber.email,
    event_types: JSON.stringify(eventTypes),
    enabled: input.enabled === false ? 0 : 1,
    created_by: actorId(ctx),
    created_at: now,
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    if (!(await insertAlertSubscription(trx, row))) {
      throw new ConflictError('this subscriber already has an alert subscription at this business unit');
    }
    await ctx.audit.record(
      {
        action: 'alert_subscription.create',
        buId,
        resourceType: 'alert_subscription',
        resourceId: row.id,
        after: { subscriber: subscriber.key, eventTypes },
      },
      trx,
    );
  });
  return (await subscriptionViews(ctx, [row]))[0]!;
}

export async function listAlertSubscriptions(ctx: ReportingContext, buId: string): Promise<AlertSubscriptionView[]> {
  await ctx.access.require('report.read', buId, 'Business unit');
  return subscriptionViews(ctx, await alertSubscriptionsAt(reportingDb(ctx.database), buId));
}

async function loadAlertSubscription(ctx: ReportingContext, id: string, privilege: string) {
  const row = await findAlertSubscription(reportingDb(ctx.database), id);
  if (!row) throw new NotFoundError('Alert subscription');
  await ctx.access.require(privilege, row.bu_id, 'Alert subscription');
  return row;
}

export async function updateAlertSubscription(
  ctx: ReportingContext,
  id: string,
  patch: { eventTypes?: unknown; enabled?: unknown },
): Promise<AlertSubscriptionView> {
  const row = await loadAlertSubscription(ctx, id, 'report.manage');
  const values: Parameters<typeof updateAlertSubscriptionRow>[2] = { updated_at: ctx.clock.now() };
  if (patch.eventTypes !== undefined) values.event_types = JSON.stringify(parseAlertTypes(patch.eventTypes));
  if (patch.enabled !== undefined) {
    if (typeof patch.enabled !== 'boolean') throw new ValidationError('enabled must be true or false');
    values.enabled = patch.enabled ? 1 : 0;
  }
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await updateAlertSubscriptionRow(trx, id, values);
      await ctx.audit.record(
        {
          action: 'alert_subscription.update',
          buId: row.bu_id,
          resourceType: 'alert_subscription',
          resourceId: id,
          before: { eventTypes: JSON.parse(row.event_types), enabled: row.enabled === 1 },
          after: {
            eventTypes: JSON.parse(values.event_types ?? row.event_types),
            enabled: (values.enabled ?? row.enabled) === 1,
          },
        },
        trx,
      );
    });
  const updated = await findAlertSubscription(reportingDb(ctx.database), id);
  return (await subscriptionViews(ctx, [updated!]))[0]!;
}

export async function deleteAlertSubscription(ctx: ReportingContext, id: string): Promise<void> {
  const row = await loadAlertSubscription(ctx, id, 'report.manage');
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await deleteAlertSubscriptionRow(trx, id);
      await ctx.audit.record(
        {
          action: 'alert_subscription.delete',
          buId: row.bu_id,
          resourceType: 'alert_subscription',
          resourceId: id,
          before: { subscriber: row.subscriber_key },
        },
        trx,
      );
    });
}

export interface MaintenanceWindowView {
  readonly id: string;
  readonly buId: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly reason: string;
  readonly createdAt: string;
}

function windowView(row: MaintenanceWindowRow): MaintenanceWindowView {
  return {
    id: row.id,
    buId: row.bu_id,
    startsAt: iso(row.starts_at),
    endsAt: iso(row.ends_at),
    reason: row.reason,
    createdAt: iso(row.created_at),
  };
}

const maxWindowMs = 31 * 86_400_000;

/** Silences alerts for `buId`'s subtree from `startsAt` to `endsAt` (at most 31 days). Requires `report.manage`. */
export async function createMaintenanceWindow(
  ctx: ReportingContext,
  buId: string,
  input: { startsAt: unknown; endsAt: unknown; reason?: unknown },
): Promise<MaintenanceWindowView> {
  await ctx.access.require('report.manage', buId, 'Business unit');
  const startsAt = Date.parse(String(input.startsAt));
  const endsAt = Date.parse(String(input.endsAt));
  if (Number.isNaN(startsAt) || Number.isNaN(endsAt)) {
    throw new ValidationError('startsAt and endsAt must be date-times such as 2026-03-01T22:00:00Z');
  }
  if (endsAt <= startsAt) throw new ValidationError('endsAt must be after startsAt');
  if (endsAt - startsAt > maxWindowMs) throw new ValidationError('a maintenance window lasts at most 31 days');
  const now = ctx.clock.now();
  if (endsAt <= now) throw new ValidationError('endsAt must be in the future');
  const reason = input.reason === undefined ? '' : String(input.reason).trim();
  if (reason.length > 500 || hasControlCharacters(reason)) {
    throw new ValidationError('reason must be at most 500 characters without control characters');
  }
  const row: MaintenanceWindowRow = {
    id: newId(now),
    bu_id: buId,
    starts_at: startsAt,
    ends_at: endsAt,
    reason,
    created_by: actorId(ctx),
    created_at: now,
  };
  await reportingDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await insertMaintenanceWindow(trx, row);
      await ctx.audit.record(
        {
          action: 'maintenance_window.create',
          buId,
          resourceType: 'maintenance_window',
          resourceId: row.id,
          after: { startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), reason },
        },
        trx,
      );
    });
  return windowView(row);
}

/** Current and future windows set at `buId`. */
export async function listMaintenanceWindows(ctx: ReportingContext, buId: string): Promise<MaintenanceWindowView[]> {
  await ctx.access.require('report.read', buId, 'Business unit');
  return (await maintenanceWindowsAt(reportingDb(ctx.database), buId, ctx.clock.now())).map(windowView);
}

export async function deleteMaintenanceWindow(ctx: ReportingContext, id: string): Promise<void> {
  const db = reportingDb(ctx.database);
  const row = await findMaintenanceWindow(db, id);
  if (!row) throw new NotFoundError('Maintenance window');
  await ctx.access.require('report.manage', row.bu_id, 'Maintenance window');
  await db.transaction().execute(async (trx) => {
    await deleteMaintenanceWindowRow(trx, id);
    await ctx.audit.record(
      { action: 'maintenance_window.delete', buId: row.bu_id, resourceType: 'maintenance_window', resourceId: id },
      trx,
    );
  });
}

export interface IncidentView {
  readonly id: string;
  readonly buId: string;
  readonly type: string;
  readonly subject: { readonly id: string; readonly name: string };
  readonly status: 'open' | 'resolved';
  readonly events: number;
  readonly notified: boolean;
  readonly openedAt: string;
  readonly lastEventAt: string;
  readonly resolvedAt: string | null;
}

function incidentView(row: IncidentRow): IncidentView {
  return {
    id: row.id,
    buId: row.bu_id,
    type: row.kind,
    subject: { id: row.subject_id, name: row.subject_name },
    status: row.status,
    events: row.event_count,
    notified: row.notified === 1,
    openedAt: iso(row.opened_at),
    lastEventAt: iso(row.last_event_at),
    resolvedAt: isoOrNull(row.resolved_at),
  };
}

/** Alert incidents of `buId`'s subtree, newest first. Requires `report.read`. */
export async function listAlertIncidents(
  ctx: ReportingContext,
  buId: string,
  options: { status?: 'open' | 'resolved'; limit: number; cursor?: string },
): Promise<{ incidents: IncidentView[]; nextCursor?: string }> {
  await ctx.access.require('report.read', buId, 'Business unit');
  const rows = await listIncidents(reportingDb(ctx.database), buId, { ...options, limit: options.limit + 1 });
  const page = rows.slice(0, options.limit).map(incidentView);
  return rows.length > options.limit ? { incidents: page, nextCursor: page[page.length - 1]!.id } : { incidents: page };
}
