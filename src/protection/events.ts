import type { Clock, Database } from '../platform/index.ts';
import { newId } from '../platform/index.ts';
import { type ProtectionDb, protectionDb } from './db.ts';
import type { JobRow } from './job-store.ts';
import type { ProtectionEventTable } from './tables.ts';

/** Event types the data path reports (the names reporting's alerts use). */
export type ProtectionEventType =
  | 'backup.succeeded'
  | 'backup.warning'
  | 'backup.failed'
  | 'backup.missed'
  | ProtectionEventTable['type'];

/** One event in the shape reporting's `ExternalEventSource` hands over. */
export interface ProtectionEvent {
  readonly type: ProtectionEventType;
  readonly buId: string;
  readonly subjectId: string;
  readonly subjectName: string;
  readonly occurredAt: number;
  readonly details: Readonly<Record<string, unknown>>;
}

const reportedOutcomes = ['success', 'warning', 'failed', 'missed'] as const;
const failing = new Set(['failed', 'missed']);

/**
 * The outcome of the data source's backup that ended before `job`, if any. Jobs are ordered
 * by end time, then id, so two jobs that ended in the same millisecond still have one order.
 */
async function previousOutcome(db: ProtectionDb, job: JobRow): Promise<string | undefined> {
  const ended = job.finished_at ?? job.created_at;
  const endOf = db.fn.coalesce('finished_at', 'created_at');
  const row = await db
    .selectFrom('protection_jobs')
    .select('status')
    .where('data_source_id', '=', job.data_source_id)
    .where('kind', '=', 'backup')
    .where('status', 'in', reportedOutcomes)
    .where((eb) => eb.or([eb(endOf, '<', ended), eb.and([eb(endOf, '=', ended), eb('id', '<', job.id)])]))
    .orderBy(endOf, 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.status;
}

/**
 * A backup job's outcome as an event, or null when there is nothing to alert about: failures
 * and missed runs always count; a success or warning only when it ends a run of failures (it
 * resolves the open incident), so a healthy installation does not log an event per backup.
 */
async function jobEvent(
  db: ProtectionDb,
  job: JobRow,
  source: { name: string; bu_id: string },
): Promise<ProtectionEvent | null> {
  const base = { buId: source.bu_id, subjectId: job.data_source_id, subjectName: source.name };
  const occurredAt = job.finished_at ?? job.created_at;
  switch (job.status) {
    case 'failed':
      return {
        ...base,
        type: 'backup.failed',
        occurredAt,
        details: { jobId: job.id, reason: job.error ?? 'unknown', attempts: job.attempts },
      };
    case 'missed':
      return {
        ...base,
        type: 'backup.missed',
        occurredAt,
        details: {
          jobId: job.id,
          schedule: job.schedule_name,
          scheduledFor: job.scheduled_for === null ? null : new Date(job.scheduled_for).toISOString(),
        },
      };
    case 'success':
    case 'warning': {
      if (!failing.has((await previousOutcome(db, job)) ?? '')) return null;
      const warnings = job.warnings ? (JSON.parse(job.warnings) as unknown[]).length : 0;
      return {
        ...base,
        type: job.status === 'success' ? 'backup.succeeded' : 'backup.warning',
        occurredAt,
        details: { jobId: job.id, snapshotId: job.snapshot_id, ...(warnings > 0 ? { warnings } : {}) },
      };
    }
    default:
      return null;
  }
}

/**
 * The data path's events for reporting (its `ExternalEventSource`): outcomes of backup jobs
 * not yet reported, read from the job records themselves, and the stored verification
 * events. Items are marked delivered only after reporting has stored them.
 */
export function protectionEventSource(database: Database, clock: Clock) {
  const db = protectionDb(database);
  return Object.freeze({
    name: 'protection',
    async pending(limit: number): Promise<{ id: string; event: ProtectionEvent | null }[]> {
      const items: { id: string; event: ProtectionEvent | null }[] = [];
      const jobs = await db
        .selectFrom('protection_jobs as j')
        .innerJoin('protection_data_sources as d', 'd.id', 'j.data_source_id')
        .selectAll('j')
        .select(['d.name as source_name', 'd.bu_id as source_bu_id'])
        .where('j.reported_at', 'is', null)
        .where('j.kind', '=', 'backup')
        .where('j.status', 'in', [...reportedOutcomes, 'cancelled'])
        .orderBy('j.id')
        .limit(limit)
        .execute();
      for (const job of jobs) {
        items.push({
          id: `job:${job.id}`,
          event: await jobEvent(db, job, { name: job.source_name, bu_id: job.source_bu_id }),
        });
      }
      if (items.length >= limit) return items;
      const events = await db
        .selectFrom('protection_events as e')
        .innerJoin('protection_data_sources as d', 'd.id', 'e.data_source_id')
        .selectAll('e')
        .select(['d.name as source_name', 'd.bu_id as source_bu_id'])
        .where('e.delivered_at', 'is', null)
        .orderBy('e.id')
        .limit(limit - items.length)
        .execute();
      for (const event of events) {
        items.push({
          id: `event:${event.id}`,
          event: {
            type: event.type,
            buId: event.source_bu_id,
            subjectId: event.data_source_id,
            subjectName: event.source_name,
            occurredAt: Number(event.occurred_at),
            details: JSON.parse(event.details) as Record<string, unknown>,
          },
        });
      }
      return items;
    },
    async markDelivered(ids: readonly string[]): Promise<void> {
      const now = clock.now();
      const jobIds = ids.filter((id) => id.startsWith('job:')).map((id) => id.slice(4));
      const eventIds = ids.filter((id) => id.startsWith('event:')).map((id) => id.slice(6));
      if (jobIds.length > 0) {
        await db.updateTable('protection_jobs').set({ reported_at: now }).where('id', 'in', jobIds).execute();
      }
      if (eventIds.length > 0) {
        await db.updateTable('protection_events').set({ delivered_at: now }).where('id', 'in', eventIds).execute();
      }
    },
  });
}

/**
 * Records the outcome of a vault's nightly verification for each of its data sources: a
 * failure every time one is found (reporting keeps one incident open until it recovers), a
 * success only when it follows a failure (it resolves that incident).
 */
export async function recordVerification(
  db: ProtectionDb,
  input: { dataSourceIds: readonly string[]; problems: Readonly<Record<string, unknown>> | null; at: number },
): Promise<void> {
  for (const dataSourceId of input.dataSourceIds) {
    if (!input.problems) {
      const last = await db
        .selectFrom('protection_events')
        .select('type')
        .where('data_source_id', '=', dataSourceId)
        .orderBy('occurred_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (last?.type !== 'verification.failed') continue;
    }
    await db
      .insertInto('protection_events')
      .values({
        id: newId(input.at),
        type: input.problems ? 'verification.failed' : 'verification.succeeded',
        data_source_id: dataSourceId,
        occurred_at: input.at,
        details: JSON.stringify(input.problems ?? {}),
        created_at: input.at,
        delivered_at: null,
      })
      .execute();
  }
}
