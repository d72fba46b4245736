import type { Clock, Database, JobHandler, ScheduleInput } from '../platform/index.ts';
import { identityDb } from './db.ts';
import { accountPolicy } from './rate-limit.ts';
import { deleteExpiredSessions } from './session-store.ts';
import { deleteStaleThrottles } from './throttle-store.ts';

/**
 * Removes what can never be used again: ended sessions, expired sign-in challenges and
 * forgotten failure counts. Expired rows are refused on use anyway; this keeps the
 * tables small.
 */
export async function purgeExpiredCredentials(database: Database, now: number) {
  const db = identityDb(database);
  const ended = await deleteExpiredSessions(db, now);
  const throttles = await deleteStaleThrottles(db, now - accountPolicy.forgetAfterMs, now);
  return { ...ended, throttles };
}

/** Identity's background work: an hourly purge (a job kind and its schedule). */
export function identityBackground(deps: { database: Database; clock: Clock }): {
  handlers: Record<string, JobHandler>;
  schedules: ScheduleInput[];
} {
  return {
    handlers: {
      'identity.purge-expired': async () => purgeExpiredCredentials(deps.database, deps.clock.now()),
    },
    schedules: [
      { name: 'identity.purge-expired', cron: '41 * * * *', timezone: 'UTC', jobKind: 'identity.purge-expired' },
    ],
  };
}
