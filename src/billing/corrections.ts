import { ConflictError, NotFoundError, newId, ValidationError } from '../platform/index.ts';
import { actorId, type BillingContext } from './context.ts';
import { billingDb } from './db.ts';
import { checkMinorUnits, storableMinor } from './money.ts';
import { correctionsOf, findLine, insertEvent, insertLine, type LineRow, reserveSequence } from './run-store.ts';
import { type LineView, lineView } from './views.ts';

export interface CorrectionInput {
  /** credit: money back to the customer (a negative line); debit: an extra charge. */
  kind: 'credit' | 'debit';
  /** Positive, in minor units. */
  amount: number;
  reason: string;
}

/**
 * Corrects a posted charge with a new, immediately posted credit or debit line that refers
 * to it; posted lines themselves never change. A credit may not exceed what the line still
 * stands at (its amount plus earlier debits minus earlier credits). Requires
 * `billing.manage` on the seller.
 */
export async function correctLine(ctx: BillingContext, lineId: string, input: CorrectionInput): Promise<LineView> {
  const db = billingDb(ctx.database);
  const line = await findLine(db, lineId);
  if (!line) throw new NotFoundError('Billing line');
  await ctx.access.require('billing.manage', line.seller_bu_id, 'Billing line');
  if (line.kind !== 'charge') throw new ValidationError('only charges can be corrected; correct the original charge');
  if (line.seq === null) throw new ConflictError('the line is not posted yet; finish its run first');
  if (input.kind !== 'credit' && input.kind !== 'debit')
    throw new ValidationError('kind must be credit or debit', { field: 'kind' });
  const amount = checkMinorUnits(input.amount, 'amount');
  if (amount === 0n) throw new ValidationError('amount must be greater than zero', { field: 'amount' });
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (reason.length < 1 || reason.length > 1000)
    throw new ValidationError('reason must be 1-1000 characters', { field: 'reason' });
  const now = ctx.clock.now();
  const signed = input.kind === 'credit' ? -amount : amount;
  return db.transaction().execute(async (trx) => {
    const net = (await correctionsOf(trx, lineId)).reduce((sum, c) => sum + BigInt(c.amount), BigInt(line.amount));
    if (net + signed < 0n) {
      throw new ConflictError(`a credit of ${amount} exceeds what the line stands at (${net})`, { net: Number(net) });
    }
    const row: LineRow = {
      ...line,
      id: newId(now),
      run_id: null,
      seq: await reserveSequence(trx, 1),
      kind: input.kind,
      charge_key: null,
      quantity_milli: 0,
      unit_price: null,
      amount: storableMinor(signed, 'amount'),
      detail: JSON.stringify({ corrects: lineId, netBefore: net.toString(), netAfter: (net + signed).toString() }),
      corrects_line_id: lineId,
      reason,
      created_by: actorId(ctx),
      created_at: now,
      posted_at: now,
    };
    await insertLine(trx, row);
    await insertEvent(trx, {
      kind: 'billing.correction.posted',
      bu_id: line.seller_bu_id,
      payload: JSON.stringify({
        lineId: row.id,
        correctsLineId: lineId,
        kind: input.kind,
        amount: row.amount,
        currency: row.currency,
      }),
      created_at: now,
    });
    await ctx.audit.record(
      {
        action: `billing.line.${input.kind}`,
        buId: line.customer_bu_id,
        resourceType: 'billing_line',
        resourceId: row.id,
        after: { correctsLineId: lineId, amount: row.amount, currency: row.currency, reason },
      },
      trx,
    );
    return lineView(row);
  });
}
