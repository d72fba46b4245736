import { ValidationError } from '../platform/index.ts';
import { epochDayOf, formatDay, parseDay } from '../usage/index.ts';
import { nextRunDay } from './calendar.ts';
import { findProduct } from './catalog-store.ts';
import type { BillingContext } from './context.ts';
import { findContract } from './contract-store.ts';
import { type BillingDb, billingDb } from './db.ts';
import { formatAmount, scaledText } from './money.ts';
import { billingDayOf } from './profile-store.ts';
import { draftSellerLines, lineRowOf } from './run.ts';
import { findRunOf, type LineRow, linesOfRun, previousCharge, previousPostedRun } from './run-store.ts';
import type { DraftLine, LineDetail } from './settle.ts';
import { type LineView, lineView } from './views.ts';

/** A line the next run would produce, against the same product's previous charge. */
export interface DryRunLine {
  line: LineView;
  previous: {
    periodStart: string;
    periodEnd: string;
    quantity: string;
    unitPrice: number | null;
    amount: number;
  } | null;
  quantityChange: string | null;
  amountChange: number | null;
  reasons: string[];
}

/** A product billed last time that the next run will not bill. */
export interface DryRunDropped {
  previous: LineView;
  reason: string;
}

export interface DryRun {
  sellerBuId: string;
  runDate: string;
  /** Usage after this day is not known yet: gauge values are estimates from the days so far. */
  dataUntil: string;
  lines: DryRunLine[];
  dropped: DryRunDropped[];
  totals: Record<string, number>;
  previousTotals: Record<string, number>;
}

function pricingText(detail: LineDetail, currency: string): string {
  const p = detail.pricing;
  if (p.tierMode === 'none') return `${formatAmount(BigInt(p.tiers[0]?.unitPrice ?? 0), currency)} ${currency}`;
  return `${p.tierMode} tiers ${p.tiers.map((t) => `${t.upTo ?? '∞'}: ${formatAmount(BigInt(t.unitPrice), currency)}`).join(', ')}`;
}

/** Why a line differs from the previous charge of the same product, in words. */
function explainChange(draft: DraftLine, row: LineRow, previous: LineRow | undefined): string[] {
  const detail = draft.detail;
  if (!previous) return ['first settlement of this product under the contract'];
  const before = JSON.parse(previous.detail) as LineDetail;
  const reasons: string[] = [];
  if (
    JSON.stringify(before.pricing.tiers) !== JSON.stringify(detail.pricing.tiers) ||
    before.pricing.tierMode !== detail.pricing.tierMode
  ) {
    reasons.push(
      `price changed from ${pricingText(before, previous.currency)} to ${pricingText(detail, row.currency)}`,
    );
  }
  if (before.pricing.minimumCharge !== detail.pricing.minimumCharge) {
    reasons.push(
      `minimum charge changed from ${formatAmount(BigInt(before.pricing.minimumCharge), row.currency)} to ${formatAmount(BigInt(detail.pricing.minimumCharge), row.currency)}`,
    );
  }
  if (BigInt(previous.quantity_milli) !== draft.quantityMilli) {
    reasons.push(
      `quantity changed from ${scaledText(BigInt(previous.quantity_milli), 3)} to ${scaledText(draft.quantityMilli, 3)} ${row.unit_label} (${detail.valueMode} ${detail.metric})`,
    );
  }
  const beforeTiers = before.tiers.map((t) => t.tier).join(',');
  const nowTiers = detail.tiers.map((t) => t.tier).join(',');
  if (before.pricing.tierMode === 'volume' && detail.pricing.tierMode === 'volume' && beforeTiers !== nowTiers) {
    reasons.push(`volume tier changed from ${beforeTiers} to ${nowTiers}`);
  }
  if (before.activeDays !== detail.activeDays || before.periodDays !== detail.periodDays) {
    reasons.push(
      detail.activeDays < detail.periodDays
        ? `partial period: ${detail.activeDays} of ${detail.periodDays} days covered by the contract`
        : `period length changed from ${before.periodDays} to ${detail.periodDays} days`,
    );
  }
  if (before.minimumApplied !== detail.minimumApplied) {
    reasons.push(detail.minimumApplied ? 'the minimum charge applies now' : 'the minimum charge no longer applies');
  }
  if (detail.estimateUntil) reasons.push(`estimate: usage measured until ${detail.estimateUntil}`);
  return reasons.length > 0 ? reasons : ['unchanged'];
}

async function droppedReason(db: BillingDb, line: LineRow, runDay: number): Promise<string> {
  const contract = await findContract(db, line.contract_id);
  if (contract?.end_day !== null && contract?.end_day !== undefined && contract.end_day <= line.period_end) {
    return `contract ended on ${formatDay(contract.end_day)}`;
  }
  const product = await findProduct(db, line.product_id);
  if (product?.retired_at !== null && product?.retired_at !== undefined) return 'product withdrawn';
  return `not due on ${formatDay(runDay)} (settled ${contract ? `${12 / Number(contract.settlement_rate)}-monthly` : 'later'})`;
}

/** The next run day of a seller that has no posted run yet (today or later). */
async function nextOpenRunDay(db: BillingDb, sellerBuId: string, today: number, billingDay: number): Promise<number> {
  let day = nextRunDay(today, billingDay);
  for (let i = 0; i < 24; i++) {
    const run = await findRunOf(db, sellerBuId, day);
    if (run?.status !== 'posted') return day;
    day = nextRunDay(day + 1, billingDay);
  }
  return day;
}

/**
 * What the seller's next run would produce (or the run of `runDate`), computed without
 * writing anything, each line against the same product's previous charge with the reasons
 * it differs, plus the products billed last time that will not be billed. Usage after today
 * is unknown: gauges are estimated from the days measured so far. Requires `billing.read`.
 */
export async function dryRun(
  ctx: BillingContext,
  sellerBuId: string,
  input: { runDate?: string } = {},
): Promise<DryRun> {
  await ctx.access.require('billing.read', sellerBuId, 'Business unit');
  const db = billingDb(ctx.database);
  const now = ctx.clock.now();
  const today = epochDayOf(now);
  const billingDay = await billingDayOf(db, sellerBuId);
  const runDay = input.runDate
    ? parseDay(input.runDate, 'runDate')
    : await nextOpenRunDay(db, sellerBuId, today, billingDay);
  if (runDay < today - 3660) throw new ValidationError('runDate is too far in the past', { field: 'runDate' });
  const dataUntil = today + 1;
  const drafts = [...(await draftSellerLines(ctx.database, sellerBuId, runDay, dataUntil)).values()].flat();
  const lines: DryRunLine[] = [];
  const totals: Record<string, bigint> = {};
  for (const draft of drafts) {
    const row = lineRowOf(draft, null, now, null);
    const previous = await previousCharge(db, draft.contract.id, draft.product.id, draft.period.start);
    totals[row.currency] = (totals[row.currency] ?? 0n) + draft.amount;
    lines.push({
      line: lineView(row),
      previous: previous
        ? {
            periodStart: formatDay(Number(previous.period_start)),
            periodEnd: formatDay(Number(previous.period_end)),
            quantity: scaledText(BigInt(previous.quantity_milli), 3),
            unitPrice: previous.unit_price === null ? null : Number(previous.unit_price),
            amount: Number(previous.amount),
          }
        : null,
      quantityChange: previous ? scaledText(draft.quantityMilli - BigInt(previous.quantity_milli), 3) : null,
      amountChange: previous ? Number(draft.amount - BigInt(previous.amount)) : null,
      reasons: explainChange(draft, row, previous),
    });
  }
  const last = await previousPostedRun(db, sellerBuId, runDay);
  const dropped: DryRunDropped[] = [];
  if (last) {
    const billedNow = new Set(drafts.map((d) => `${d.contract.id}:${d.product.id}`));
    for (const line of await linesOfRun(db, last.id)) {
      if (line.kind !== 'charge' || billedNow.has(`${line.contract_id}:${line.product_id}`)) continue;
      dropped.push({ previous: lineView(line), reason: await droppedReason(db, line, runDay) });
    }
  }
  const previousTotals = last ? (JSON.parse(last.totals) as Record<string, string>) : {};
  return {
    sellerBuId,
    runDate: formatDay(runDay),
    dataUntil: formatDay(dataUntil),
    lines,
    dropped,
    totals: Object.fromEntries(Object.entries(totals).map(([c, v]) => [c, Number(v)])),
    previousTotals: Object.fromEntries(Object.entries(previousTotals).map(([c, v]) => [c, Number(v)])),
  };
}
