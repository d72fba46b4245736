import { ConflictError, NotFoundError, newId, ValidationError } from '../platform/index.ts';
import { parseDay } from '../usage/index.ts';
import { findProduct } from './catalog-store.ts';
import { actorId, type BillingContext } from './context.ts';
import {
  deleteRegistrationRow,
  findRegistration,
  inSubtree,
  insertRegistration,
  listRegistrations,
  type RegistrationRow,
} from './contract-store.ts';
import { loadContract } from './contracts.ts';
import { billingDb } from './db.ts';
import { parseQuantity } from './money.ts';
import { type RegistrationView, registrationView } from './views.ts';

export interface RegistrationInput {
  productId: string;
  /** The unit the work was done for; default the contract's customer. Must lie in its subtree. */
  buId?: string;
  dataSourceId?: string | null;
  /** YYYY-MM-DD: when the work was done (within the contract). */
  date: string;
  /** Positive, at most three decimals, e.g. 1.5 (hours). */
  quantity: number | string;
  note: string;
}

/**
 * Records manual consumption (support hours, an on-demand service) under a contract's manual
 * product; the next settlement of that product includes it. Requires `billing.manage` on
 * the seller. Throws ValidationError for a non-manual product, a product of another
 * subscription, a day outside the contract, or a quantity that is not positive.
 */
export async function registerManualConsumption(
  ctx: BillingContext,
  contractId: string,
  input: RegistrationInput,
): Promise<RegistrationView> {
  const contract = await loadContract(ctx, contractId, 'billing.manage');
  const db = billingDb(ctx.database);
  const product = await findProduct(db, input.productId);
  if (!product || product.subscription_id !== contract.subscription_id) {
    throw new ValidationError('productId must name a product of the contract’s subscription', { field: 'productId' });
  }
  if (product.metric !== 'manual') {
    throw new ValidationError(
      `product ${product.name} is measured (${product.metric}); only manual products take registrations`,
      {
        field: 'productId',
      },
    );
  }
  const quantity = parseQuantity(input.quantity);
  const day = parseDay(input.date, 'date');
  if (day < contract.start_day || (contract.end_day !== null && day >= contract.end_day)) {
    throw new ValidationError('date must lie within the contract', { field: 'date' });
  }
  const buId = input.buId ?? contract.customer_bu_id;
  if (!(await inSubtree(db, contract.customer_bu_id, buId))) {
    throw new ValidationError('buId must be the contract’s customer or a unit below it', { field: 'buId' });
  }
  const note = typeof input.note === 'string' ? input.note.trim() : '';
  if (note.length < 1 || note.length > 1000)
    throw new ValidationError('note must be 1-1000 characters', { field: 'note' });
  const now = ctx.clock.now();
  const row: RegistrationRow = {
    id: newId(now),
    contract_id: contractId,
    product_id: product.id,
    bu_id: buId,
    data_source_id: input.dataSourceId ?? null,
    day,
    quantity_milli: Number(quantity),
    note,
    created_by: actorId(ctx),
    created_at: now,
    settled_line_id: null,
  };
  await db.transaction().execute(async (trx) => {
    await insertRegistration(trx, row);
    await ctx.audit.record(
      {
        action: 'billing.registration.create',
        buId,
        resourceType: 'billing_registration',
        resourceId: row.id,
        after: { contractId, productId: product.id, date: input.date, quantity: String(input.quantity), note },
      },
      trx,
    );
  });
  return registrationView(row);
}

/** Registrations of a contract. Requires `billing.read` on it. */
export async function listContractRegistrations(ctx: BillingContext, contractId: string): Promise<RegistrationView[]> {
  await loadContract(ctx, contractId, 'billing.read');
  return (await listRegistrations(billingDb(ctx.database), contractId)).map(registrationView);
}

/** Removes a registration not yet billed; a billed one needs a credit line. Requires `billing.manage`. */
export async function deleteRegistration(ctx: BillingContext, id: string): Promise<void> {
  const db = billingDb(ctx.database);
  const row = await findRegistration(db, id);
  if (!row) throw new NotFoundError('Registration');
  await loadContract(ctx, row.contract_id, 'billing.manage');
  await db.transaction().execute(async (trx) => {
    if ((await deleteRegistrationRow(trx, id)) === 0) {
      throw new ConflictError('the registration was already billed; correct it with a credit line');
    }
    await ctx.audit.record(
      {
        action: 'billing.registration.delete',
        buId: row.bu_id,
        resourceType: 'billing_registration',
        resourceId: id,
        before: { quantityMilli: row.quantity_milli, note: row.note },
      },
      trx,
    );
  });
}
