import type { BillingContext } from './context.ts';
import { billingDb } from './db.ts';
import { linesOfRun } from './run-store.ts';
import { loadRun } from './runs.ts';
import { type LineView, lineView, runView } from './views.ts';

/** Columns of the CSV export, in order (documented in docs/usage-and-billing.md). */
export const csvColumns = [
  'line_id',
  'seq',
  'kind',
  'run_id',
  'run_date',
  'seller_bu_id',
  'customer_bu_id',
  'contract_id',
  'subscription_id',
  'product_id',
  'product_name',
  'metric',
  'period_start',
  'period_end_exclusive',
  'quantity',
  'unit',
  'unit_price_minor',
  'amount_minor',
  'amount',
  'currency',
  'corrects_line_id',
  'reason',
  'posted_at',
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; formula-leading text is defused. */
function field(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@]/.test(text) && typeof value === 'string' && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvRow(line: LineView, runDate: string): string {
  const values: (string | number | null)[] = [
    line.id,
    line.seq,
    line.kind,
    line.runId,
    runDate,
    line.sellerBuId,
    line.customerBuId,
    line.contractId,
    line.subscriptionId,
    line.productId,
    line.productName,
    line.metric,
    line.periodStart,
    line.periodEnd,
    line.quantity,
    line.unitLabel,
    line.unitPrice,
    line.amount,
    line.amountDecimal,
    line.currency,
    line.correctsLineId,
    line.reason,
    line.postedAt,
  ];
  return values.map(field).join(',');
}

export interface RunExport {
  contentType: string;
  filename: string;
  body: string;
}

/** A run's lines as CSV (header row, CRLF) or JSON (`{ run, lines }`). Requires `billing.read` on the seller. */
export async function exportRun(ctx: BillingContext, runId: string, format: 'csv' | 'json'): Promise<RunExport> {
  const run = runView(await loadRun(ctx, runId));
  const lines = (await linesOfRun(billingDb(ctx.database), runId)).map(lineView);
  const filename = `billing-run-${run.runDate}-${run.id}.${format}`;
  if (format === 'json') {
    return { contentType: 'application/json; charset=utf-8', filename, body: JSON.stringify({ run, lines }) };
  }
  const body = [csvColumns.join(','), ...lines.map((l) => csvRow(l, run.runDate))].join('\r\n');
  return { contentType: 'text/csv; charset=utf-8', filename, body: `${body}\r\n` };
}
