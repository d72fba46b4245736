import type { BillingDb } from './db.ts';
import type { ContractTable, RegistrationTable } from './tables.ts';

export type ContractRow = ContractTable;
export type RegistrationRow = RegistrationTable;

/** Ids of the unit's ancestors (itself excluded), nearest first. */
export async function ancestorIdsOf(db: BillingDb, buId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('bu_closure')
    .select('ancestor_id')
    .where('descendant_id', '=', buId)
    .where('depth', '>', 0)
    .orderBy('depth')
    .execute();
  return rows.map((r) => r.ancestor_id);
}

/** True when `unitId` is `ancestorId` or lies below it now. */
export async function inSubtree(db: BillingDb, ancestorId: string, unitId: string): Promise<boolean> {
  const row = await db
    .selectFrom('bu_closure')
    .select('depth')
    .where('ancestor_id', '=', ancestorId)
    .where('descendant_id', '=', unitId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function unitExists(db: BillingDb, buId: string): Promise<boolean> {
  return (await db.selectFrom('business_units').select('id').where('id', '=', buId).executeTakeFirst()) !== undefined;
}

export async function insertContract(trx: BillingDb, row: ContractRow): Promise<void> {
  await trx.insertInto('billing_contracts').values(row).execute();
}

export async function findContract(db: BillingDb, id: string): Promise<ContractRow | undefined> {
  return db.selectFrom('billing_contracts').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Contracts of `sellerBuId` whose customer is `customerBuId`, one of its ancestors or one of
 * its descendants (their measured subtrees overlap), and whose days overlap [start, end).
 */
export async function overlappingContracts(
  db: BillingDb,
  input: { sellerBuId: string; customerBuId: string; startDay: number; endDay: number | null; exceptId?: string },
): Promise<ContractRow[]> {
  return db
    .selectFrom('billing_contracts as k')
    .selectAll('k')
    .where('k.seller_bu_id', '=', input.sellerBuId)
    .where((eb) =>
      eb.or([
        eb(
          'k.customer_bu_id',
          'in',
          eb.selectFrom('bu_closure').select('ancestor_id').where('descendant_id', '=', input.customerBuId),
        ),
        eb(
          'k.customer_bu_id',
          'in',
          eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', input.customerBuId),
        ),
      ]),
    )
    .where((eb) => eb.or([eb('k.end_day', 'is', null), eb('k.end_day', '>', input.startDay)]))
    .$if(input.endDay !== null, (q) => q.where('k.start_day', '<', input.endDay as number))
    .$if(input.exceptId !== undefined, (q) => q.where('k.id', '<>', input.exceptId as string))
    .execute();
}

/** Contracts whose customer or seller lies in `buId`'s subtree, newest first. */
export async function listContractsInSubtree(
  db: BillingDb,
  buId: string,
  page: { limit: number; beforeId?: string | undefined },
): Promise<ContractRow[]> {
  const subtree = db.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', buId);
  return db
    .selectFrom('billing_contracts')
    .selectAll()
    .where((eb) => eb.or([eb('customer_bu_id', 'in', subtree), eb('seller_bu_id', 'in', subtree)]))
    .$if(page.beforeId !== undefined, (q) => q.where('id', '<', page.beforeId as string))
    .orderBy('id', 'desc')
    .limit(page.limit)
    .execute();
}

/** Every contract a seller bills. */
export async function listSellerContracts(db: BillingDb, sellerBuId: string): Promise<ContractRow[]> {
  return db.selectFrom('billing_contracts').selectAll().where('seller_bu_id', '=', sellerBuId).orderBy('id').execute();
}

/** Sellers that have at least one contract (the units the daily billing job looks at). */
export async function listSellers(db: BillingDb): Promise<string[]> {
  const rows = await db.selectFrom('billing_contracts').select('seller_bu_id').distinct().execute();
  return rows.map((r) => r.seller_bu_id);
}

export async function updateContractRow(trx: BillingDb, id: string, patch: Partial<ContractRow>): Promise<void> {
  await trx.updateTable('billing_contracts').set(patch).where('id', '=', id).execute();
}

/** Open contracts (no end, or ending after `day`) where the unit is customer or seller. */
export async function countOpenContractsOf(db: BillingDb, buId: string, day: number): Promise<number> {
  const row = await db
    .selectFrom('billing_contracts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb.or([eb('customer_bu_id', '=', buId), eb('seller_bu_id', '=', buId)]))
    .where((eb) => eb.or([eb('end_day', 'is', null), eb('end_day', '>', day)]))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The end (exclusive) of the latest charged period of a contract, or null when nothing was charged. */
export async function chargedUntil(db: BillingDb, contractId: string): Promise<number | null> {
  const row = await db
    .selectFrom('billing_lines')
    .select((eb) => eb.fn.max('period_end').as('until'))
    .where('contract_id', '=', contractId)
    .where('kind', '=', 'charge')
    .executeTakeFirst();
  return row?.until === null || row?.until === undefined ? null : Number(row.until);
}

export async function countLinesOfContract(db: BillingDb, contractId: string): Promise<number> {
  const row = await db
    .selectFrom('billing_lines')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('contract_id', '=', contractId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function deleteContractRow(trx: BillingDb, id: string): Promise<void> {
  await trx.deleteFrom('billing_registrations').where('contract_id', '=', id).execute();
  await trx.deleteFrom('billing_contracts').where('id', '=', id).execute();
}

export async function insertRegistration(trx: BillingDb, row: RegistrationRow): Promise<void> {
  await trx.insertInto('billing_registrations').values(row).execute();
}

export async function findRegistration(db: BillingDb, id: string): Promise<RegistrationRow | undefined> {
  return db.selectFrom('billing_registrations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRegistrations(db: BillingDb, contractId: string): Promise<RegistrationRow[]> {
  return db
    .selectFrom('billing_registrations')
    .selectAll()
    .where('contract_id', '=', contractId)
    .orderBy('day')
    .orderBy('id')
    .execute();
}

/** Unsettled registrations of a contract's product on days before `beforeDay`. */
export async function openRegistrations(
  db: BillingDb,
  contractId: string,
  productId: string,
  beforeDay: number,
): Promise<RegistrationRow[]> {
  return db
    .selectFrom('billing_registrations')
    .selectAll()
    .where('contract_id', '=', contractId)
    .where('product_id', '=', productId)
    .where('settled_line_id', 'is', null)
    .where('day', '<', beforeDay)
    .orderBy('day')
    .orderBy('id')
    .execute();
}

/** Marks registrations settled by a line; returns how many were still open (a concurrent run may have taken some). */
export async function settleRegistrations(trx: BillingDb, ids: readonly string[], lineId: string): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await trx
    .updateTable('billing_registrations')
    .set({ settled_line_id: lineId })
    .where('id', 'in', [...ids])
    .where('settled_line_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function deleteRegistrationRow(trx: BillingDb, id: string): Promise<number> {
  const result = await trx
    .deleteFrom('billing_registrations')
    .where('id', '=', id)
    .where('settled_line_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Open contracts (no end, or ending after `day`) whose customer is `buId` or below it. */
export async function openContractsBelow(db: BillingDb, buId: string, day: number): Promise<ContractRow[]> {
  return db
    .selectFrom('billing_contracts as k')
    .innerJoin('bu_closure as c', (join) => join.onRef('c.descendant_id', '=', 'k.customer_bu_id'))
    .selectAll('k')
    .where('c.ancestor_id', '=', buId)
    .where((eb) => eb.or([eb('k.end_day', 'is', null), eb('k.end_day', '>', day)]))
    .execute();
}

/**
 * Serialises writers of one logical resource (e.g. a seller's contracts) on PostgreSQL by
 * upserting a counter row, which holds its row lock until the transaction ends. SQLite has
 * one writer at a time already.
 */
export async function lockNamed(trx: BillingDb, name: string): Promise<void> {
  await trx
    .insertInto('billing_counters')
    .values({ name, value: 0 })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb.ref('billing_counters.value') })))
    .execute();
}
