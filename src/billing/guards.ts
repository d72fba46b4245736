import { registerDeletionGuard, registerMoveListener, type TenancyDb } from '../tenancy/index.ts';
import { countOpenContractsOf } from './contract-store.ts';
import { endContractsAfterMove } from './contracts.ts';
import type { BillingTables } from './tables.ts';

/**
 * A unit that is customer or seller of an open contract cannot be deleted: its billing
 * would silently stop. Ended contracts (and their lines) do not block.
 */
export function registerBillingDeletionGuard(): void {
  registerDeletionGuard('billing.contracts', async (trx: TenancyDb, buId: string) => {
    const today = Math.floor(Date.now() / 86_400_000);
    const open = await countOpenContractsOf(trx.withTables<BillingTables>(), buId, today);
    return open > 0 ? `${open} billing contract${open === 1 ? ' is' : 's are'} still open; end them first` : null;
  });
}

/**
 * When a unit moves, contracts whose seller no longer sits above the customer end on the
 * day of the move, in the move's transaction (the new seller's contracts take over).
 */
export function registerBillingMoveListener(): void {
  registerMoveListener('billing.contracts', async (trx, moved) => {
    await endContractsAfterMove(trx.withTables<BillingTables>(), {
      movedBuId: moved.movedBuId,
      day: Math.floor(moved.now / 86_400_000),
      now: moved.now,
    });
  });
}
