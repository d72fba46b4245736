import { ConflictError } from '../platform/index.ts';
import { checkBillingDay } from './calendar.ts';
import type { BillingContext } from './context.ts';
import { billingDb } from './db.ts';
import { defaultBillingDay, findProfile, sellerHasLines, upsertProfile } from './profile-store.ts';

export interface BillingProfileView {
  buId: string;
  /** Day of the month runs happen and periods start (1-31; shorter months use their last day). */
  billingDay: number;
  /** False when the default applies. */
  configured: boolean;
}

/** A seller's billing profile. Requires `billing.read` on the unit. */
export async function getBillingProfile(ctx: BillingContext, buId: string): Promise<BillingProfileView> {
  await ctx.access.require('billing.read', buId, 'Business unit');
  const row = await findProfile(billingDb(ctx.database), buId);
  return { buId, billingDay: Number(row?.billing_day ?? defaultBillingDay), configured: row !== undefined };
}

/**
 * Sets the seller's billing day. Refused (ConflictError) once the seller has billed: its
 * periods are fixed by the day, and moving it would leave gaps or overlaps. Requires
 * `billing.manage`. Throws ValidationError for a day outside 1-31.
 */
export async function setBillingProfile(
  ctx: BillingContext,
  buId: string,
  input: { billingDay: number },
): Promise<BillingProfileView> {
  await ctx.access.require('billing.manage', buId, 'Business unit');
  const billingDay = checkBillingDay(input.billingDay);
  const db = billingDb(ctx.database);
  const before = await findProfile(db, buId);
  if (before && Number(before.billing_day) === billingDay) return { buId, billingDay, configured: true };
  if (Number(before?.billing_day ?? defaultBillingDay) !== billingDay && (await sellerHasLines(db, buId))) {
    throw new ConflictError('the billing day cannot change after the unit has billed; its periods are fixed by it');
  }
  const now = ctx.clock.now();
  await db.transaction().execute(async (trx) => {
    await upsertProfile(trx, { bu_id: buId, billing_day: billingDay, created_at: now, updated_at: now });
    await ctx.audit.record(
      {
        action: 'billing.profile.update',
        buId,
        resourceType: 'billing_profile',
        resourceId: buId,
        before: { billingDay: Number(before?.billing_day ?? defaultBillingDay) },
        after: { billingDay },
      },
      trx,
    );
  });
  return { buId, billingDay, configured: true };
}
