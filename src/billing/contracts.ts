import {
  ConflictError,
  type Database,
  decodeCursor,
  NotFoundError,
  newId,
  type Page,
  pageOf,
  pageSize,
  ValidationError,
} from '../platform/index.ts';
import { formatDay, parseDay } from '../usage/index.ts';
import { checkSettlementRate } from './calendar.ts';
import { loadSubscription } from './catalog.ts';
import { findSubscription, listProducts, subscriptionNames } from './catalog-store.ts';
import type { BillingContext } from './context.ts';
import {
  type ContractRow,
  chargedUntil,
  countLinesOfContract,
  deleteContractRow,
  findContract,
  inSubtree,
  insertContract,
  listContractsInSubtree,
  lockNamed,
  openContractsBelow,
  overlappingContracts,
  updateContractRow,
} from './contract-store.ts';
import { type BillingDb, billingDb } from './db.ts';
import type { ContractTiming } from './tables.ts';
import { type ContractView, contractView } from './views.ts';

export interface ContractInput {
  subscriptionId: string;
  customerBuId: string;
  /** YYYY-MM-DD, first day covered. */
  startDate: string;
  /** YYYY-MM-DD, first day no longer covered; omitted for open-ended. */
  endDate?: string | null;
  settlementRate: number;
  timing?: string;
  reference?: string | null;
}

function checkTiming(value: unknown): ContractTiming {
  if (value === undefined) return 'arrears';
  if (value !== 'arrears' && value !== 'advance') {
    throw new ValidationError('timing must be arrears or advance', { field: 'timing' });
  }
  return value;
}

function checkEnd(startDay: number, endDate: string | null | undefined): number | null {
  if (endDate === undefined || endDate === null) return null;
  const endDay = parseDay(endDate, 'endDate');
  if (endDay <= startDay) throw new ValidationError('endDate must be after startDate', { field: 'endDate' });
  return endDay;
}

/** Metrics a subscription measures (manual products bill registrations, which cannot double). */
async function measuredMetrics(db: BillingDb, subscriptionId: string): Promise<Set<string>> {
  const products = await listProducts(db, [subscriptionId]);
  return new Set(products.filter((p) => p.metric !== 'manual' && p.retired_at === null).map((p) => p.metric));
}

/**
 * Refuses a contract that would bill the same thing twice: another contract of the same
 * seller, overlapping in time, on the same unit or a unit above or below it (whose measured
 * subtree overlaps), with the same subscription or a measured metric in common.
 */
async function refuseOverlap(
  trx: BillingDb,
  contract: Pick<ContractRow, 'seller_bu_id' | 'customer_bu_id' | 'start_day' | 'end_day' | 'subscription_id' | 'id'>,
): Promise<void> {
  const others = await overlappingContracts(trx, {
    sellerBuId: contract.seller_bu_id,
    customerBuId: contract.customer_bu_id,
    startDay: contract.start_day,
    endDay: contract.end_day,
    exceptId: contract.id,
  });
  if (others.length === 0) return;
  const mine = await measuredMetrics(trx, contract.subscription_id);
  for (const other of others) {
    const theirs =
      other.subscription_id === contract.subscription_id ? mine : await measuredMetrics(trx, other.subscription_id);
    const shared = [...mine].filter((m) => theirs.has(m));
    if (other.subscription_id === contract.subscription_id || shared.length > 0) {
      throw new ConflictError(
        `contract ${other.id} already bills ${other.subscription_id === contract.subscription_id ? 'this subscription' : `the metrics ${shared.join(', ')}`} for this unit (or a unit above or below it) from ${formatDay(other.start_day)}${other.end_day === null ? '' : ` to ${formatDay(other.end_day)}`}`,
        { contractId: other.id },
      );
    }
  }
}

async function view(db: BillingDb, row: ContractRow): Promise<ContractView> {
  const subscription = await findSubscription(db, row.subscription_id);
  return contractView(row, subscription?.name ?? '');
}

/**
 * Assigns a subscription to a unit in the owner's subtree. Requires `billing.manage` on the
 * subscription's owner (the seller). Throws ValidationError for bad dates, rates or a
 * customer outside the owner's subtree, ConflictError for an overlapping contract.
 */
export async function createContract(ctx: BillingContext, input: ContractInput): Promise<ContractView> {
  const subscription = await loadSubscription(ctx, input.subscriptionId, 'billing.manage');
  await ctx.access.require('billing.read', input.customerBuId, 'Business unit');
  const db = billingDb(ctx.database);
  if (!(await inSubtree(db, subscription.owner_bu_id, input.customerBuId))) {
    throw new ValidationError('the customer must be the subscription owner or a unit below it', {
      field: 'customerBuId',
    });
  }
  const startDay = parseDay(input.startDate, 'startDate');
  const now = ctx.clock.now();
  const row: ContractRow = {
    id: newId(now),
    subscription_id: subscription.id,
    seller_bu_id: subscription.owner_bu_id,
    customer_bu_id: input.customerBuId,
    start_day: startDay,
    end_day: checkEnd(startDay, input.endDate),
    settlement_rate: checkSettlementRate(input.settlementRate),
    timing: checkTiming(input.timing),
    reference: typeof input.reference === 'string' ? input.reference.trim().slice(0, 200) || null : null,
    created_at: now,
    updated_at: now,
  };
  await db.transaction().execute(async (trx) => {
    await lockNamed(trx, `contracts:${row.seller_bu_id}`);
    await refuseOverlap(trx, row);
    await insertContract(trx, row);
    await ctx.audit.record(
      {
        action: 'billing.contract.create',
        buId: row.customer_bu_id,
        resourceType: 'billing_contract',
        resourceId: row.id,
        after: {
          subscriptionId: row.subscription_id,
          startDate: input.startDate,
          endDate: input.endDate ?? null,
          settlementRate: row.settlement_rate,
          timing: row.timing,
        },
      },
      trx,
    );
  });
  return contractView(row, subscription.name);
}

/**
 * Loads a contract visible to the caller: the seller side (which reaches the seller) or the
 * customer side (which reaches the customer). Management is for the seller side only.
 */
export async function loadContract(ctx: BillingContext, id: string, privilege: string): Promise<ContractRow> {
  const row = await findContract(billingDb(ctx.database), id);
  if (!row) throw new NotFoundError('Contract');
  if (privilege === 'billing.read' && !(await ctx.access.reaches(row.seller_bu_id))) {
    await ctx.access.require(privilege, row.customer_bu_id, 'Contract');
  } else {
    await ctx.access.require(privilege, row.seller_bu_id, 'Contract');
  }
  return row;
}

export async function getContract(ctx: BillingContext, id: string): Promise<ContractView> {
  return view(billingDb(ctx.database), await loadContract(ctx, id, 'billing.read'));
}

/** Contracts whose customer or seller lies in the unit's subtree. Requires `billing.read` on it. */
export async function listContracts(
  ctx: BillingContext,
  buId: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<Page<ContractView>> {
  await ctx.access.require('billing.read', buId, 'Business unit');
  const limit = pageSize(options.limit);
  const beforeId = options.cursor === undefined ? undefined : decodeCursor(options.cursor, ['id'] as const).id;
  const db = billingDb(ctx.database);
  const rows = await listContractsInSubtree(db, buId, { limit: limit + 1, beforeId });
  const names = await subscriptionNames(db, [...new Set(rows.map((r) => r.subscription_id))]);
  return pageOf(
    rows,
    limit,
    (row) => contractView(row, names.get(row.subscription_id) ?? ''),
    (row) => ({ id: row.id }),
  );
}

/**
 * Sets (or moves) a contract's end date. Refused with ConflictError when periods after the
 * new end were already charged (issue a credit line instead). Requires `billing.manage`.
 */
export async function endContract(ctx: BillingContext, id: string, endDate: string): Promise<ContractView> {
  const row = await loadContract(ctx, id, 'billing.manage');
  const endDay = checkEnd(row.start_day, endDate) as number;
  const db = billingDb(ctx.database);
  const until = await chargedUntil(db, id);
  if (until !== null && endDay < until) {
    throw new ConflictError(
      `the contract is already charged until ${formatDay(until)}; end it on or after that day and correct with a credit line`,
    );
  }
  const now = ctx.clock.now();
  const next = { ...row, end_day: endDay, updated_at: now };
  await db.transaction().execute(async (trx) => {
    await lockNamed(trx, `contracts:${row.seller_bu_id}`);
    await updateContractRow(trx, id, { end_day: endDay, updated_at: now });
    await ctx.audit.record(
      {
        action: 'billing.contract.end',
        buId: row.customer_bu_id,
        resourceType: 'billing_contract',
        resourceId: id,
        before: { endDate: row.end_day === null ? null : formatDay(row.end_day) },
        after: { endDate },
      },
      trx,
    );
  });
  return view(db, next);
}

/** Deletes a contract that never produced a line (e.g. created by mistake). Requires `billing.manage`. */
export async function deleteContract(ctx: BillingContext, id: string): Promise<void> {
  const row = await loadContract(ctx, id, 'billing.manage');
  const db = billingDb(ctx.database);
  if ((await countLinesOfContract(db, id)) > 0) {
    throw new ConflictError('the contract has billing lines; end it instead of deleting it');
  }
  await db.transaction().execute(async (trx) => {
    await deleteContractRow(trx, id);
    await ctx.audit.record(
      {
        action: 'billing.contract.delete',
        buId: row.customer_bu_id,
        resourceType: 'billing_contract',
        resourceId: id,
        before: { subscriptionId: row.subscription_id, startDate: formatDay(row.start_day) },
      },
      trx,
    );
  });
}

/**
 * Billing's part of a unit move ("billing follows the move from that moment"): every open
 * contract whose customer is the moved unit or below it, and whose seller no longer lies
 * above that customer, ends on `day` (the first day the new owner's contracts measure).
 * Run it in the move's transaction or right after it. Returns the contracts ended.
 */
export async function endContractsAfterMove(
  database: Database | BillingDb,
  input: { movedBuId: string; day: number; now: number },
): Promise<string[]> {
  const db = 'dialect' in database && 'close' in database ? billingDb(database) : database;
  const affected = await openContractsBelow(db, input.movedBuId, input.day);
  const ended: string[] = [];
  for (const contract of affected) {
    if (await inSubtree(db, contract.seller_bu_id, contract.customer_bu_id)) continue;
    // A contract that had not started yet ends where it starts: it covers no day.
    const endDay = Math.max(input.day, contract.start_day);
    await updateContractRow(db, contract.id, { end_day: endDay, updated_at: input.now });
    ended.push(contract.id);
  }
  return ended;
}
