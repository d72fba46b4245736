import { newId } from '../platform/index.ts';
import type { BillingDb } from './db.ts';
import type { BillingEventTable, LineTable, RunTable } from './tables.ts';

export type RunRow = RunTable;
export type LineRow = LineTable;

/** The posting sequence: every posted line gets the next number, in commit order. */
const sequenceName = 'line_seq';

export async function findRun(db: BillingDb, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('billing_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findRunOf(db: BillingDb, sellerBuId: string, runDay: number): Promise<RunRow | undefined> {
  return db
    .selectFrom('billing_runs')
    .selectAll()
    .where('seller_bu_id', '=', sellerBuId)
    .where('run_day', '=', runDay)
    .executeTakeFirst();
}

/** Creates the run of (seller, day) unless it exists; returns the one that exists now. */
export async function ensureRun(db: BillingDb, row: RunRow): Promise<RunRow> {
  await db
    .insertInto('billing_runs')
    .values(row)
    .onConflict((oc) => oc.columns(['seller_bu_id', 'run_day']).doNothing())
    .execute();
  return (await findRunOf(db, row.seller_bu_id, row.run_day)) as RunRow;
}

/** Locks the run row (PostgreSQL) so line writers and the poster of one run serialise. */
export async function lockRun(trx: BillingDb, id: string, dialect: 'sqlite' | 'postgres'): Promise<RunRow | undefined> {
  return trx
    .selectFrom('billing_runs')
    .selectAll()
    .where('id', '=', id)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
}

/** A seller's runs, newest run day first (ties by id, descending), after the keyset position `after`. */
export async function listRuns(
  db: BillingDb,
  sellerBuId: string,
  page: { limit: number; after?: { runDay: number; id: string } | undefined },
): Promise<RunRow[]> {
  const after = page.after;
  return db
    .selectFrom('billing_runs')
    .selectAll()
    .where('seller_bu_id', '=', sellerBuId)
    .$if(after !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb('run_day', '<', after?.runDay as number),
          eb.and([eb('run_day', '=', after?.runDay as number), eb('id', '<', after?.id as string)]),
        ]),
      ),
    )
    .orderBy('run_day', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .execute();
}

/** The latest posted run of a seller before `runDay`. */
export async function previousPostedRun(
  db: BillingDb,
  sellerBuId: string,
  beforeDay: number,
): Promise<RunRow | undefined> {
  return db
    .selectFrom('billing_runs')
    .selectAll()
    .where('seller_bu_id', '=', sellerBuId)
    .where('status', '=', 'posted')
    .where('run_day', '<', beforeDay)
    .orderBy('run_day', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function updateRun(trx: BillingDb, id: string, patch: Partial<RunRow>): Promise<void> {
  await trx.updateTable('billing_runs').set(patch).where('id', '=', id).execute();
}

/** Charge keys already used by any of these contracts. */
export async function chargeKeysOf(db: BillingDb, contractIds: readonly string[]): Promise<Set<string>> {
  if (contractIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('billing_lines')
    .select('charge_key')
    .where('contract_id', 'in', [...contractIds])
    .where('charge_key', 'is not', null)
    .execute();
  return new Set(rows.map((r) => r.charge_key as string));
}

export async function insertLine(trx: BillingDb, row: LineRow): Promise<void> {
  await trx.insertInto('billing_lines').values(row).execute();
}

export async function findLine(db: BillingDb, id: string): Promise<LineRow | undefined> {
  return db.selectFrom('billing_lines').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function linesOfRun(db: BillingDb, runId: string): Promise<LineRow[]> {
  return db
    .selectFrom('billing_lines')
    .selectAll()
    .where('run_id', '=', runId)
    .orderBy('customer_bu_id')
    .orderBy('contract_id')
    .orderBy('product_name')
    .orderBy('period_start')
    .orderBy('id')
    .execute();
}

/** Corrections already posted against a line. */
export async function correctionsOf(db: BillingDb, lineId: string): Promise<LineRow[]> {
  return db.selectFrom('billing_lines').selectAll().where('corrects_line_id', '=', lineId).orderBy('id').execute();
}

/**
 * Reserves `count` numbers of the posting sequence and returns the first. The counter row
 * stays locked until the transaction commits, so sequence order is commit order and a
 * cursor reader never skips a line that commits late.
 */
export async function reserveSequence(trx: BillingDb, count: number): Promise<number> {
  await trx
    .insertInto('billing_counters')
    .values({ name: sequenceName, value: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await trx
    .updateTable('billing_counters')
    .set((eb) => ({ value: eb('value', '+', count) }))
    .where('name', '=', sequenceName)
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value) - count + 1;
}

export async function setPosted(trx: BillingDb, lineId: string, seq: number, postedAt: number): Promise<void> {
  await trx.updateTable('billing_lines').set({ seq, posted_at: postedAt }).where('id', '=', lineId).execute();
}

/** Posted lines issued by a seller after `afterSeq`, in posting order. */
export async function postedLinesAfter(
  db: BillingDb,
  sellerBuId: string,
  afterSeq: number,
  limit: number,
): Promise<LineRow[]> {
  return db
    .selectFrom('billing_lines')
    .selectAll()
    .where('seller_bu_id', '=', sellerBuId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** Posted lines where the unit's subtree is the customer, for periods starting in [from, to). */
export async function postedLinesForCustomers(
  db: BillingDb,
  buId: string,
  fromDay: number,
  toDay: number,
): Promise<LineRow[]> {
  return db
    .selectFrom('billing_lines')
    .selectAll()
    .where('customer_bu_id', 'in', (eb) =>
      eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', buId),
    )
    .where('seq', 'is not', null)
    .where('period_start', '>=', fromDay)
    .where('period_start', '<', toDay)
    .orderBy('period_start')
    .orderBy('seq')
    .execute();
}

/** Posted lines where the unit is buyer (`customer`) or seller, for periods starting in [from, to). */
export async function postedLinesOfParty(
  db: BillingDb,
  party: 'customer' | 'seller',
  buId: string,
  fromDay: number,
  toDay: number,
): Promise<LineRow[]> {
  return db
    .selectFrom('billing_lines')
    .selectAll()
    .where(party === 'customer' ? 'customer_bu_id' : 'seller_bu_id', '=', buId)
    .where('seq', 'is not', null)
    .where('period_start', '>=', fromDay)
    .where('period_start', '<', toDay)
    .execute();
}

/** The latest posted charge of a contract's product for a period starting before `beforeDay`. */
export async function previousCharge(
  db: BillingDb,
  contractId: string,
  productId: string,
  beforeDay: number,
): Promise<LineRow | undefined> {
  return db
    .selectFrom('billing_lines')
    .selectAll()
    .where('contract_id', '=', contractId)
    .where('product_id', '=', productId)
    .where('kind', '=', 'charge')
    .where('seq', 'is not', null)
    .where('period_start', '<', beforeDay)
    .orderBy('period_start', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertEvent(
  trx: BillingDb,
  event: Omit<BillingEventTable, 'id' | 'delivered_at'>,
): Promise<void> {
  await trx
    .insertInto('billing_events')
    .values({ id: newId(event.created_at), delivered_at: null, ...event })
    .execute();
}

export async function pendingEvents(db: BillingDb, limit: number): Promise<BillingEventTable[]> {
  return db
    .selectFrom('billing_events')
    .selectAll()
    .where('delivered_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function markEventsDelivered(db: BillingDb, ids: readonly string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('billing_events')
    .set({ delivered_at: now })
    .where('id', 'in', [...ids])
    .where('delivered_at', 'is', null)
    .execute();
}
