import { decodeCursor, NotFoundError, type Page, pageOf, pageSize, ValidationError } from '../platform/index.ts';
import { epochDayOf, parseDay } from '../usage/index.ts';
import { latestRunDay } from './calendar.ts';
import { actorId, type BillingContext } from './context.ts';
import { billingDb } from './db.ts';
import { billingDayOf } from './profile-store.ts';
import { runBilling } from './run.ts';
import { findRun, linesOfRun, listRuns, postedLinesAfter, postedLinesForCustomers, type RunRow } from './run-store.ts';
import { type LineView, lineView, type RunView, runView } from './views.ts';

export interface RunWithLines {
  run: RunView;
  lines: LineView[];
}

/**
 * Runs billing for a seller now: for `runDate` (default: the seller's latest billing day up
 * to today). A date in the future is refused (its periods have not ended). Idempotent: the
 * run of a day that was already posted is returned unchanged. Requires `billing.manage`.
 */
export async function startRun(
  ctx: BillingContext,
  sellerBuId: string,
  input: { runDate?: string } = {},
): Promise<RunWithLines> {
  await ctx.access.require('billing.manage', sellerBuId, 'Business unit');
  const now = ctx.clock.now();
  const today = epochDayOf(now);
  const db = billingDb(ctx.database);
  const runDay = input.runDate
    ? parseDay(input.runDate, 'runDate')
    : latestRunDay(today, await billingDayOf(db, sellerBuId));
  if (runDay > today) throw new ValidationError('runDate must not be in the future', { field: 'runDate' });
  const run = (await runBilling(ctx.database, {
    sellerBuId,
    runDay,
    now,
    trigger: 'manual',
    createdBy: actorId(ctx),
  })) as RunRow;
  await ctx.audit.record({
    action: 'billing.run.post',
    buId: sellerBuId,
    resourceType: 'billing_run',
    resourceId: run.id,
    after: { runDate: runView(run).runDate, lineCount: Number(run.line_count) },
  });
  return { run: runView(run), lines: (await linesOfRun(db, run.id)).map(lineView) };
}

export async function loadRun(ctx: BillingContext, runId: string): Promise<RunRow> {
  const run = await findRun(billingDb(ctx.database), runId);
  if (!run) throw new NotFoundError('Billing run');
  await ctx.access.require('billing.read', run.seller_bu_id, 'Billing run');
  return run;
}

/** A run with its lines. Requires `billing.read` on the seller. */
export async function getRun(ctx: BillingContext, runId: string): Promise<RunWithLines> {
  const run = await loadRun(ctx, runId);
  return { run: runView(run), lines: (await linesOfRun(billingDb(ctx.database), runId)).map(lineView) };
}

/** A seller's runs, newest run date first, paged by cursor. Requires `billing.read`. */
export async function listSellerRuns(
  ctx: BillingContext,
  sellerBuId: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<Page<RunView>> {
  await ctx.access.require('billing.read', sellerBuId, 'Business unit');
  const limit = pageSize(options.limit);
  let after: { runDay: number; id: string } | undefined;
  if (options.cursor !== undefined) {
    const position = decodeCursor(options.cursor, ['runDay', 'id'] as const);
    const runDay = Number(position.runDay);
    if (!Number.isSafeInteger(runDay)) throw new ValidationError('cursor is not valid', { field: 'cursor' });
    after = { runDay, id: position.id };
  }
  const rows = await listRuns(billingDb(ctx.database), sellerBuId, { limit: limit + 1, after });
  return pageOf(rows, limit, runView, (row) => ({ runDay: String(row.run_day), id: row.id }));
}

/**
 * Posted lines billed to the unit or units below it (what they pay), for periods starting
 * in [from, to). Requires `billing.read` on the unit.
 */
export async function listCustomerLines(
  ctx: BillingContext,
  buId: string,
  range: { from: string; to: string },
): Promise<LineView[]> {
  await ctx.access.require('billing.read', buId, 'Business unit');
  const from = parseDay(range.from, 'from');
  const to = parseDay(range.to, 'to');
  if (to <= from) throw new ValidationError('to must be after from', { field: 'to' });
  return (await postedLinesForCustomers(billingDb(ctx.database), buId, from, to)).map(lineView);
}

export interface LineFeedPage {
  lines: LineView[];
  /** Pass as `after` to get the next lines; unchanged when nothing new was posted. */
  nextCursor: number;
}

/**
 * The ERP feed: posted lines (charges, credits, debits) a seller issued after the cursor,
 * in posting order. Sequence numbers are assigned in commit order, so a reader that resumes
 * from its last cursor misses nothing. Requires `billing.read` on the seller.
 */
export async function lineFeed(
  ctx: BillingContext,
  sellerBuId: string,
  input: { after?: number; limit?: number },
): Promise<LineFeedPage> {
  await ctx.access.require('billing.read', sellerBuId, 'Business unit');
  const after = input.after ?? 0;
  if (!Number.isSafeInteger(after) || after < 0)
    throw new ValidationError('after must be a non-negative integer', { field: 'after' });
  const limit = Math.max(1, Math.min(input.limit ?? 100, 1000));
  const rows = await postedLinesAfter(billingDb(ctx.database), sellerBuId, after, limit);
  return { lines: rows.map(lineView), nextCursor: rows.length > 0 ? Number(rows[rows.length - 1]?.seq) : after };
}
