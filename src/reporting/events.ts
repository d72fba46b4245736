import type { Kysely, Transaction } from 'kysely';
import { newId, type PlatformTables, ValidationError } from '../platform/index.ts';
import type { JobQueue } from '../platform/jobs/index.ts';
import type { ReportingDb } from './db.ts';

/** Events other modules (and reporting itself) report; alerts are derived from them. */
export const eventTypes = [
  'backup.succeeded',
  'backup.warning',
  'backup.failed',
  'backup.missed',
  'verification.succeeded',
  'verification.failed',
  'quota.ok',
  'quota.soft_exceeded',
  'quota.hard_exceeded',
  'agent.online',
  'agent.offline',
  'billing.run_posted',
  'webhook.disabled',
] as const;
export type EventType = (typeof eventTypes)[number];

/**
 * What subscribers choose to be alerted about (e-mail alert subscriptions and webhooks).
 * Each incident type also brings its recovery notice, `<type>.resolved`.
 */
export const alertTypes = [
  'backup.failed',
  'backup.missed',
  'verification.failed',
  'quota.soft_exceeded',
  'quota.hard_exceeded',
  'agent.offline',
  'billing.run_posted',
  'webhook.disabled',
] as const;
export type AlertType = (typeof alertTypes)[number];

/** Alert types that open an incident (one per subject until it recovers); the others are one-off notices. */
export const incidentTypes: readonly AlertType[] = [
  'backup.failed',
  'backup.missed',
  'verification.failed',
  'quota.soft_exceeded',
  'quota.hard_exceeded',
  'agent.offline',
];

/** Job kind that turns one stored event into alerts. */
export const processEventJob = 'reporting.process-event';

export interface EventInput {
  readonly type: EventType;
  /** The unit the subject belongs to; alerts reach subscribers of this unit and its ancestors. */
  readonly buId: string;
  /** Data source id, unit id (quota), billing run id, webhook id … */
  readonly subjectId: string;
  readonly subjectName: string;
  readonly occurredAt: number;
  readonly details?: Readonly<Record<string, unknown>>;
  /** The producer's own event id: emitting the same key again is a no-op. */
  readonly sourceKey?: string;
}

function checkEvent(input: EventInput): void {
  if (!eventTypes.includes(input.type)) throw new ValidationError(`unknown event type ${String(input.type)}`);
  for (const field of ['buId', 'subjectId', 'subjectName'] as const) {
    const value = input[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > 300) {
      throw new ValidationError(`event ${field} must be 1-300 characters`);
    }
  }
  if (!Number.isSafeInteger(input.occurredAt) || input.occurredAt < 0) {
    throw new ValidationError('event occurredAt must be epoch milliseconds');
  }
}

/**
 * Stores an event and enqueues its processing, in `db` (pass the producer's transaction so
 * the event exists exactly when the producer's change commits). Returns the event id and
 * whether it is new (false: the source key was seen before).
 */
export async function recordEvent(
  db: ReportingDb,
  queue: JobQueue,
  input: EventInput,
  now: number,
): Promise<{ id: string; created: boolean }> {
  checkEvent(input);
  const id = newId(now);
  const result = await db
    .insertInto('reporting_events')
    .values({
      id,
      source_key: input.sourceKey ?? null,
      type: input.type,
      bu_id: input.buId,
      subject_id: input.subjectId,
      subject_name: input.subjectName,
      occurred_at: input.occurredAt,
      details: JSON.stringify(input.details ?? {}),
      created_at: now,
      processed_at: null,
    })
    .onConflict((oc) => oc.column('source_key').doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) {
    const existing = await db
      .selectFrom('reporting_events')
      .select('id')
      .where('source_key', '=', input.sourceKey ?? '')
      .executeTakeFirstOrThrow();
    return { id: existing.id, created: false };
  }
  await queue.enqueue(
    processEventJob,
    { eventId: id },
    {
      idempotencyKey: `reporting.event:${id}`,
      transaction: db as unknown as Kysely<PlatformTables> | Transaction<PlatformTables>,
    },
  );
  return { id, created: true };
}
