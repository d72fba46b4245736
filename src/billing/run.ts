import { type Database, newId } from '../platform/index.ts';
import { formatDay } from '../usage/index.ts';
import { listProducts } from './catalog-store.ts';
import { type ContractRow, listSellerContracts, settleRegistrations } from './contract-store.ts';
import { billingDb, isUniqueViolation } from './db.ts';
import { storableMinor } from './money.ts';
import { billingDayOf } from './profile-store.ts';
import {
  chargeKeysOf,
  ensureRun,
  findRunOf,
  insertEvent,
  insertLine,
  type LineRow,
  linesOfRun,
  lockRun,
  type RunRow,
  reserveSequence,
  setPosted,
  updateRun,
} from './run-store.ts';
import { type DraftLine, settleContract } from './settle.ts';

export interface RunOptions {
  readonly sellerBuId: string;
  /** Epoch day: settles every period due on or before it. */
  readonly runDay: number;
  readonly now: number;
  readonly trigger: 'schedule' | 'manual';
  readonly createdBy?: string | null;
  /**
   * Scheduled runs: when nothing is due and no run exists yet, create none (returns null),
   * so the daily job does not post empty runs for sellers between their periods.
   */
  readonly skipEmpty?: boolean;
  /**
   * Called inside a contract's transaction after each line is written; a throw rolls that
   * contract back and aborts the run (tests use it to simulate a crash mid-run).
   */
  readonly onLineWritten?: (line: LineRow) => void | Promise<void>;
}

function unitLabelOf(draft: DraftLine): string {
  const product = draft.product;
  return product.settlement === 'packages'
    ? `package of ${product.package_size} ${product.unit_label}`
    : product.unit_label;
}

/** The line row a draft becomes. */
export function lineRowOf(draft: DraftLine, runId: string | null, now: number, createdBy: string | null): LineRow {
  const contract = draft.contract;
  return {
    id: newId(now),
    run_id: runId,
    seq: null,
    kind: 'charge',
    charge_key: draft.key,
    contract_id: contract.id,
    subscription_id: contract.subscription_id,
    product_id: draft.product.id,
    seller_bu_id: contract.seller_bu_id,
    customer_bu_id: contract.customer_bu_id,
    period_start: draft.period.start,
    period_end: draft.period.end,
    product_name: draft.product.name,
    metric: draft.product.metric,
    unit_label: unitLabelOf(draft),
    quantity_milli: Number(draft.quantityMilli),
    unit_price: draft.unitPrice === null ? null : Number(draft.unitPrice),
    amount: storableMinor(draft.amount, 'amount'),
    currency: draft.product.currency,
    detail: JSON.stringify(draft.detail),
    corrects_line_id: null,
    reason: null,
    created_by: createdBy,
    created_at: now,
    posted_at: null,
  };
}

/** Computes the unbilled lines a seller owes on `runDay`, per contract (reads only). */
export async function draftSellerLines(
  database: Database,
  sellerBuId: string,
  runDay: number,
  dataUntil?: number,
): Promise<Map<ContractRow, DraftLine[]>> {
  const db = billingDb(database);
  const [billingDay, contracts] = await Promise.all([
    billingDayOf(db, sellerBuId),
    listSellerContracts(db, sellerBuId),
  ]);
  const products = await listProducts(db, [...new Set(contracts.map((c) => c.subscription_id))]);
  const existingKeys = await chargeKeysOf(
    db,
    contracts.map((c) => c.id),
  );
  const result = new Map<ContractRow, DraftLine[]>();
  for (const contract of contracts) {
    const drafts = await settleContract(database, db, contract, products, {
      billingDay,
      runDay,
      existingKeys,
      ...(dataUntil === undefined ? {} : { dataUntil }),
    });
    if (drafts.length > 0) result.set(contract, drafts);
  }
  return result;
}

/** Writes one contract's lines in one transaction; false when another process got there first. */
async function writeContract(
  database: Database,
  run: RunRow,
  drafts: readonly DraftLine[],
  options: RunOptions,
): Promise<boolean> {
  try {
    return await billingDb(database)
      .transaction()
      .execute(async (trx) => {
        const locked = await lockRun(trx, run.id, database.dialect);
        if (locked?.status !== 'running') return false;
        for (const draft of drafts) {
          const row = lineRowOf(draft, run.id, options.now, options.createdBy ?? null);
          await insertLine(trx, row);
          if (draft.registrationIds.length > 0) {
            const settled = await settleRegistrations(trx, draft.registrationIds, row.id);
            if (settled !== draft.registrationIds.length) throw new RegistrationRace();
          }
          await options.onLineWritten?.(row);
        }
        return true;
      });
  } catch (error) {
    if (isUniqueViolation(error) || error instanceof RegistrationRace) return false;
    throw error;
  }
}

/** A registration was settled by a concurrent run between drafting and writing. */
class RegistrationRace extends Error {}

/**
 * Posts a run: numbers its lines in the posting sequence (the ERP cursor), freezes it,
 * records its totals and queues a `billing.run.posted` event. Idempotent.
 */
export async function postRun(database: Database, runId: string, now: number): Promise<RunRow> {
  return billingDb(database)
    .transaction()
    .execute(async (trx) => {
      const run = (await lockRun(trx, runId, database.dialect)) as RunRow;
      if (run.status === 'posted') return run;
      const lines = await linesOfRun(trx, runId);
      const unposted = lines.filter((l) => l.seq === null);
      let seq = unposted.length > 0 ? await reserveSequence(trx, unposted.length) : 0;
      for (const line of unposted) await setPosted(trx, line.id, seq++, now);
      const totals: Record<string, bigint> = {};
      for (const line of lines) totals[line.currency] = (totals[line.currency] ?? 0n) + BigInt(line.amount);
      const totalsText = Object.fromEntries(Object.entries(totals).map(([c, v]) => [c, v.toString()]));
      const posted: RunRow = {
        ...run,
        status: 'posted',
        posted_at: now,
        line_count: lines.length,
        totals: JSON.stringify(totalsText),
      };
      await updateRun(trx, runId, {
        status: 'posted',
        posted_at: now,
        line_count: lines.length,
        totals: posted.totals,
      });
      await insertEvent(trx, {
        kind: 'billing.run.posted',
        bu_id: run.seller_bu_id,
        payload: JSON.stringify({
          runId,
          sellerBuId: run.seller_bu_id,
          runDate: formatDay(Number(run.run_day)),
          lineCount: lines.length,
          totals: totalsText,
        }),
        created_at: now,
      });
      return posted;
    });
}

/**
 * Runs billing for a seller on `runDay`: one run per (seller, day), each due period of
 * each contract and product charged exactly once (a unique charge key), each contract's
 * lines written in one transaction, then the run posted. Rerunning — after success, or after
 * a crash part-way — completes the same run without charging anything twice.
 */
export async function runBilling(database: Database, options: RunOptions): Promise<RunRow | null> {
  const db = billingDb(database);
  const existing = await findRunOf(db, options.sellerBuId, options.runDay);
  if (existing?.status === 'posted') return existing;
  const drafts = await draftSellerLines(database, options.sellerBuId, options.runDay);
  if (drafts.size === 0 && !existing && options.skipEmpty) return null;
  const run = await ensureRun(db, {
    id: newId(options.now),
    seller_bu_id: options.sellerBuId,
    run_day: options.runDay,
    status: 'running',
    trigger: options.trigger,
    started_at: options.now,
    posted_at: null,
    line_count: 0,
    totals: '{}',
  });
  if (run.status === 'posted') return run;
  for (const contractDrafts of drafts.values()) await writeContract(database, run, contractDrafts, options);
  return postRun(database, run.id, options.now);
}
