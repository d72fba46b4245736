import type { TenancyDb } from './store.ts';

/**
 * Decides whether a unit may be deleted: returns a reason to refuse (shown to the caller,
 * e.g. "3 data sources are still assigned"), or null to allow. It runs inside the delete
 * transaction; `trx.withTables<TheirTables>()` gives access to the guard owner's tables.
 */
export type DeletionGuard = (trx: TenancyDb, buId: string) => Promise<string | null>;

const guards = new Map<string, DeletionGuard>();

/**
 * Lets a module veto deleting units that still own its resources (data sources, open
 * contracts, users). Registering the same name again replaces the earlier guard.
 */
export function registerDeletionGuard(name: string, guard: DeletionGuard): void {
  guards.set(name, guard);
}

/** Every guard's refusal for `buId` (empty when all allow). */
export async function deletionRefusals(trx: TenancyDb, buId: string): Promise<{ guard: string; reason: string }[]> {
  const refusals: { guard: string; reason: string }[] = [];
  for (const [name, guard] of guards) {
    const reason = await guard(trx, buId);
    if (reason !== null) refusals.push({ guard: name, reason });
  }
  return refusals;
}
