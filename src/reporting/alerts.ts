import { ConflictError, newId } from '../platform/index.ts';
import {
  alertSubscriptionsOnPath,
  claimEventProcessed,
  type EventRow,
  findEvent,
  type IncidentRow,
  insertIncident,
  isSilenced,
  openIncidentsOf,
  updateOpenIncident,
  webhooksOnPath,
} from './alert-store.ts';
import { reportingDb } from './db.ts';
import type { ReportingDeps } from './deps.ts';
import type { AlertType, EventType } from './events.ts';
import { formatInstant } from './format.ts';
import { flushOutboxJob, type MailToQueue, queueMail } from './outbox.ts';
import { senderOf } from './report-delivery.ts';
import { findUnit, findUserRecipients, isWithin, unitPathBetween } from './subscriber-store.ts';
import { holdsPrivilege } from './subscribers.ts';
import { renderAlert } from './templates/render.ts';
import { flushWebhooksJob } from './webhook-delivery.ts';
import { type DeliveryRow, insertDelivery } from './webhook-store.ts';

/** What an event does to incidents: open (or continue) some, resolve others, or send a one-off notice. */
interface Transition {
  readonly open: readonly AlertType[];
  readonly resolve: readonly AlertType[];
  readonly notice?: AlertType;
}

const transitions: Readonly<Record<EventType, Transition>> = {
  'backup.succeeded': { open: [], resolve: ['backup.failed', 'backup.missed'] },
  'backup.warning': { open: [], resolve: ['backup.failed', 'backup.missed'] },
  // A run that fails still ran: the agent is no longer missing its schedule.
  'backup.failed': { open: ['backup.failed'], resolve: ['backup.missed'] },
  'backup.missed': { open: ['backup.missed'], resolve: [] },
  'verification.succeeded': { open: [], resolve: ['verification.failed'] },
  'verification.failed': { open: ['verification.failed'], resolve: [] },
  'quota.ok': { open: [], resolve: ['quota.soft_exceeded', 'quota.hard_exceeded'] },
  'quota.soft_exceeded': { open: ['quota.soft_exceeded'], resolve: ['quota.hard_exceeded'] },
  // Above the hard limit is above the soft threshold too.
  'quota.hard_exceeded': { open: ['quota.hard_exceeded', 'quota.soft_exceeded'], resolve: [] },
  'agent.online': { open: [], resolve: ['agent.offline'] },
  'agent.offline': { open: ['agent.offline'], resolve: [] },
  'billing.run_posted': { open: [], resolve: [], notice: 'billing.run_posted' },
  'webhook.disabled': { open: [], resolve: [], notice: 'webhook.disabled' },
};

const titles: Readonly<Record<AlertType, { alert: string; recovery: string }>> = {
  'backup.failed': { alert: 'Backup failed: {}', recovery: 'Recovered: backups of {} succeed again' },
  'backup.missed': { alert: 'Backup missed: {}', recovery: 'Recovered: {} runs its backups again' },
  'verification.failed': { alert: 'Verification failed: {}', recovery: 'Recovered: verification of {} passes again' },
  'quota.soft_exceeded': { alert: 'Soft quota exceeded: {}', recovery: 'Recovered: {} is back within its soft quota' },
  'quota.hard_exceeded': {
    alert: 'Hard quota limit reached: {} (new backups are refused)',
    recovery: 'Recovered: {} is back below its hard quota limit',
  },
  'agent.offline': { alert: 'Agent offline: {}', recovery: 'Recovered: the agent of {} is online again' },
  'billing.run_posted': { alert: 'Billing run posted: {}', recovery: '' },
  'webhook.disabled': { alert: 'Webhook disabled after repeated failures: {}', recovery: '' },
};

interface Notification {
  readonly type: AlertType;
  readonly recovery: boolean;
  readonly incident: IncidentRow | null;
}

/** Job kind of the sweep that processes events whose job was lost. */
export const sweepEventsJob = 'reporting.sweep-events';

function eventDetails(event: EventRow): { label: string; value: string }[] {
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(event.details) as Record<string, unknown>;
  } catch {
    details = {};
  }
  return Object.entries(details)
    .filter(([key, value]) => key !== 'notifyUserId' && value !== null && typeof value !== 'object')
    .slice(0, 12)
    .map(([key, value]) => ({ label: key, value: String(value).slice(0, 500) }));
}

function webhookPayload(event: EventRow, unitName: string, notification: Notification): string {
  const incident = notification.incident;
  return JSON.stringify({
    id: `${event.id}:${notification.type}${notification.recovery ? ':resolved' : ''}`,
    type: notification.recovery ? `${notification.type}.resolved` : notification.type,
    occurredAt: new Date(Number(event.occurred_at)).toISOString(),
    businessUnit: { id: event.bu_id, name: unitName },
    subject: { id: event.subject_id, name: event.subject_name },
    incident: incident
      ? {
          id: incident.id,
          status: notification.recovery ? 'resolved' : 'open',
          openedAt: new Date(Number(incident.opened_at)).toISOString(),
          resolvedAt: notification.recovery ? new Date(Number(event.occurred_at)).toISOString() : null,
        }
      : null,
    details: Object.fromEntries(eventDetails(event).map((d) => [d.label, d.value])),
  });
}

/**
 * Turns one stored event into incident changes and notifications: an incident opens at most
 * once per subject and type and alerts once until it recovers (then a recovery notice goes to
 * whoever was alerted); inside a maintenance window of the unit or an ancestor nothing is
 * sent (an incident opened silently alerts if it is still failing after the window, and
 * recovery notices of alerted incidents always go). Recipients are the nearest alert
 * subscription of each subscriber on the unit's path and the active webhooks on that path.
 * Everything commits in one transaction with the "processed" mark, so a retry after a crash
 * neither loses nor repeats notifications.
 */
export async function processEvent(deps: ReportingDeps, eventId: string): Promise<number> {
  const db = reportingDb(deps.database);
  const event = await findEvent(db, eventId);
  if (!event || event.processed_at !== null) return 0;
  const transition = transitions[event.type as EventType];
  if (!transition) return 0;
  const now = deps.clock.now();
  const occurredAt = Number(event.occurred_at);
  const [open, silenced] = await Promise.all([
    openIncidentsOf(db, event.subject_id, [...transition.open, ...transition.resolve]),
    isSilenced(db, event.bu_id, occurredAt),
  ]);
  const inserts: IncidentRow[] = [];
  const updates: { id: string; values: Partial<IncidentRow> }[] = [];
  const notifications: Notification[] = [];
  for (const type of transition.open) {
    const existing = open.find((incident) => incident.kind === type);
    if (!existing) {
      const incident: IncidentRow = {
        id: newId(now),
        bu_id: event.bu_id,
        kind: type,
        subject_id: event.subject_id,
        subject_name: event.subject_name,
        open_key: `${type}:${event.subject_id}`,
        status: 'open',
        opening_event_id: event.id,
        last_event_type: event.type,
        event_count: 1,
        notified: silenced ? 0 : 1,
        opened_at: occurredAt,
        last_event_at: occurredAt,
        resolved_at: null,
      };
      inserts.push(incident);
      if (!silenced) notifications.push({ type, recovery: false, incident });
    } else {
      const late = existing.notified === 0 && !silenced;
      updates.push({
        id: existing.id,
        values: {
          event_count: existing.event_count + 1,
          last_event_at: Math.max(Number(existing.last_event_at), occurredAt),
          last_event_type: event.type,
          ...(late ? { notified: 1 } : {}),
        },
      });
      if (late) notifications.push({ type, recovery: false, incident: existing });
    }
  }
  for (const type of transition.resolve) {
    const existing = open.find((incident) => incident.kind === type);
    if (!existing) continue;
    updates.push({ id: existing.id, values: { status: 'resolved', open_key: null, resolved_at: occurredAt } });
    if (existing.notified === 1) notifications.push({ type, recovery: true, incident: existing });
  }
  if (transition.notice && !silenced) notifications.push({ type: transition.notice, recovery: false, incident: null });

  const { mails, deliveries } =
    notifications.length > 0 ? await planNotifications(deps, event, notifications) : { mails: [], deliveries: [] };

  await db.transaction().execute(async (trx) => {
    if (!(await claimEventProcessed(trx, event.id, now))) return;
    for (const incident of inserts) await insertIncident(trx, incident);
    for (const update of updates) {
      if (!(await updateOpenIncident(trx, update.id, update.values))) {
        throw new ConflictError(`incident ${update.id} changed while event ${event.id} was processed; retrying`);
      }
    }
    let queued = 0;
    for (const mail of mails) if (await queueMail(trx, mail, now)) queued++;
    let delivered = 0;
    for (const delivery of deliveries) if (await insertDelivery(trx, delivery)) delivered++;
    if (queued > 0) {
      await deps.queue.enqueue(
        flushOutboxJob,
        {},
        { idempotencyKey: `reporting.flush:event:${event.id}`, transaction: trx },
      );
    }
    if (delivered > 0) {
      await deps.queue.enqueue(
        flushWebhooksJob,
        {},
        { idempotencyKey: `reporting.webhooks:event:${event.id}`, transaction: trx },
      );
    }
  });
  return notifications.length;
}

async function planNotifications(
  deps: ReportingDeps,
  event: EventRow,
  notifications: readonly Notification[],
): Promise<{ mails: MailToQueue[]; deliveries: DeliveryRow[] }> {
  const db = reportingDb(deps.database);
  const [subscriptions, webhooks, brand, settings, unit] = await Promise.all([
    alertSubscriptionsOnPath(db, event.bu_id),
    webhooksOnPath(db, event.bu_id),
    deps.brands.brandFor(event.bu_id),
    deps.settings.settingsFor(event.bu_id),
    findUnit(db, event.bu_id),
  ]);
  const nearest = new Map<string, (typeof subscriptions)[number]>();
  for (const subscription of subscriptions) {
    if (!nearest.has(subscription.subscriber_key)) nearest.set(subscription.subscriber_key, subscription);
  }
  const active = [...nearest.values()].filter((s) => s.enabled === 1);
  let notifyUserId: string | null = null;
  try {
    const details = JSON.parse(event.details) as { notifyUserId?: unknown };
    if (typeof details.notifyUserId === 'string') notifyUserId = details.notifyUserId;
  } catch {
    notifyUserId = null;
  }
  const userIds = [...active.flatMap((s) => (s.user_id ? [s.user_id] : [])), ...(notifyUserId ? [notifyUserId] : [])];
  const users = new Map((await findUserRecipients(db, userIds)).map((user) => [user.id, user]));

  /** Recipients with the types they asked for; a user must still see the unit and hold report.read. */
  const recipients: {
    key: string;
    email: string;
    name: string;
    types: readonly string[] | 'all';
    pathFrom: string | null;
  }[] = [];
  for (const subscription of active) {
    const types = JSON.parse(subscription.event_types) as string[];
    if (subscription.user_id) {
      const user = users.get(subscription.user_id);
      if (
        user &&
        user.status === 'active' &&
        holdsPrivilege(user, 'report.read') &&
        (await isWithin(db, user.bu_id, event.bu_id))
      ) {
        recipients.push({
          key: subscription.subscriber_key,
          email: user.email,
          name: user.display_name,
          types,
          pathFrom: user.bu_id,
        });
      }
    } else if (subscription.email) {
      recipients.push({
        key: subscription.subscriber_key,
        email: subscription.email,
        name: subscription.email,
        types,
        pathFrom: null,
      });
    }
  }
  if (notifyUserId && !recipients.some((r) => r.key === `user:${notifyUserId}`)) {
    const user = users.get(notifyUserId);
    if (user && user.status === 'active' && (await isWithin(db, user.bu_id, event.bu_id))) {
      recipients.push({
        key: `user:${user.id}`,
        email: user.email,
        name: user.display_name,
        types: ['webhook.disabled'],
        pathFrom: user.bu_id,
      });
    }
  }

  const unitName = unit?.name ?? event.bu_id;
  const zone = settings.timeZone;
  const mails: MailToQueue[] = [];
  const deliveries: DeliveryRow[] = [];
  const now = deps.clock.now();
  for (const notification of notifications) {
    const template = titles[notification.type];
    const title = (notification.recovery ? template.recovery : template.alert).replace('{}', event.subject_name);
    for (const recipient of recipients) {
      if (recipient.types !== 'all' && !recipient.types.includes(notification.type)) continue;
      const where = recipient.pathFrom ? await unitPathBetween(db, recipient.pathFrom, event.bu_id) : unitName;
      const facts = [
        { label: 'Business unit', value: where },
        { label: 'Subject', value: event.subject_name },
        {
          label: notification.recovery ? 'Recovered at' : 'Occurred at',
          value: formatInstant(Number(event.occurred_at), zone),
        },
        ...(notification.incident
          ? [{ label: 'Incident opened', value: formatInstant(Number(notification.incident.opened_at), zone) }]
          : []),
        ...eventDetails(event),
      ];
      const mail = await renderAlert({
        brand,
        recipient,
        timeZone: zone,
        title,
        headline: title,
        recovery: notification.recovery,
        facts,
      });
      mails.push({
        dedupKey: `alert:${event.id}:${notification.type}:${notification.recovery ? 'resolved' : 'open'}:${recipient.key}`,
        buId: event.bu_id,
        category: 'alert',
        recipient: recipient.email,
        from: senderOf(deps, brand),
        mail,
      });
    }
    for (const webhook of webhooks) {
      const types = JSON.parse(webhook.event_types) as string[];
      if (!types.includes(notification.type)) continue;
      const suffix = `${notification.type}${notification.recovery ? ':resolved' : ''}`;
      deliveries.push({
        id: newId(now),
        webhook_id: webhook.id,
        dedup_key: `${webhook.id}:${event.id}:${suffix}`,
        event_id: event.id,
        event_type: notification.recovery ? `${notification.type}.resolved` : notification.type,
        payload: webhookPayload(event, unitName, notification),
        redelivery_of: null,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now,
        lease_owner: null,
        lease_expires_at: null,
        last_status_code: null,
        last_error: null,
        created_at: now,
        updated_at: now,
        delivered_at: null,
      });
    }
  }
  return { mails, deliveries };
}
