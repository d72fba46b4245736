import type { Selectable } from 'kysely';
import type { ReportingDb } from './db.ts';
import type { MailOutboxTable, OutboxStatus } from './tables.ts';

export type OutboxRow = Selectable<MailOutboxTable>;

/** Inserts a message unless one with the same dedup key exists; true when inserted. */
export async function insertOutboxMessage(db: ReportingDb, row: MailOutboxTable): Promise<boolean> {
  const result = await db
    .insertInto('mail_outbox')
    .values(row)
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Ids of messages due now: pending and past their retry time, or sending with an expired lease. */
export async function dueOutboxIds(db: ReportingDb, now: number, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('mail_outbox')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_expires_at', '<', now)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Takes one message for sending under `owner` until `leaseUntil`: a compare-and-set on its
 * state, so of several processes racing for it exactly one wins. Returns the row or undefined.
 */
export async function leaseOutboxMessage(
  db: ReportingDb,
  id: string,
  owner: string,
  now: number,
  leaseUntil: number,
): Promise<OutboxRow | undefined> {
  const result = await db
    .updateTable('mail_outbox')
    .set({ status: 'sending', lease_owner: owner, lease_expires_at: leaseUntil, updated_at: now })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_expires_at', '<', now)]),
      ]),
    )
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return undefined;
  return db
    .selectFrom('mail_outbox')
    .selectAll()
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
}

/** Records the outcome of an attempt, only while `owner` still holds the lease. */
export async function settleOutboxMessage(
  db: ReportingDb,
  id: string,
  owner: string,
  outcome:
    | { status: 'sent'; now: number }
    | { status: 'pending'; now: number; nextAttemptAt: number; error: string }
    | { status: 'dead'; now: number; error: string },
): Promise<boolean> {
  const common = { lease_owner: null, lease_expires_at: null, updated_at: outcome.now };
  const values =
    outcome.status === 'sent'
      ? { ...common, status: 'sent' as const, sent_at: outcome.now, last_error: null }
      : outcome.status === 'pending'
        ? { ...common, status: 'pending' as const, next_attempt_at: outcome.nextAttemptAt, last_error: outcome.error }
        : { ...common, status: 'dead' as const, last_error: outcome.error };
  const result = await db
    .updateTable('mail_outbox')
    .set((eb) => ({ ...values, attempts: eb('attempts', '+', 1) }))
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function findOutboxMessage(db: ReportingDb, id: string): Promise<OutboxRow | undefined> {
  return db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Messages of units in `scopeBuId`'s subtree (and, for the root's operators, unit-less ones), newest first. */
export async function listOutboxMessages(
  db: ReportingDb,
  options: { scopeBuId: string; includeUnitless: boolean; status?: OutboxStatus; limit: number; cursor?: string },
): Promise<OutboxRow[]> {
  let query = db
    .selectFrom('mail_outbox')
    .selectAll()
    .where((eb) => {
      const inScope = eb(
        'bu_id',
        'in',
        eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', options.scopeBuId),
      );
      return options.includeUnitless ? eb.or([inScope, eb('bu_id', 'is', null)]) : inScope;
    });
  if (options.status) query = query.where('status', '=', options.status);
  if (options.cursor) query = query.where('id', '<', options.cursor);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

/** Puts a dead message back in line with a fresh set of attempts; false unless it was dead. */
export async function reviveOutboxMessage(db: ReportingDb, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('mail_outbox')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function countOutboxByStatus(db: ReportingDb, status: OutboxStatus): Promise<number> {
  const row = await db
    .selectFrom('mail_outbox')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('status', '=', status)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The SMTP override nearest to `buId` on its path to the root, if any unit sets one. */
export async function nearestSmtpOverride(db: ReportingDb, buId: string) {
  return db
    .selectFrom('bu_closure')
    .innerJoin('smtp_overrides', 'smtp_overrides.bu_id', 'bu_closure.ancestor_id')
    .selectAll('smtp_overrides')
    .where('bu_closure.descendant_id', '=', buId)
    .orderBy('bu_closure.depth', 'asc')
    .limit(1)
    .executeTakeFirst();
}
