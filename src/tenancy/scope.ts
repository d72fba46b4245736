import { NotFoundError } from '../platform/index.ts';
import { callerScope, type TenancyContext } from './context.ts';
import { type BusinessUnitRow, findUnit, findUnitInScope, type TenancyDb, tenancyDb } from './store.ts';

/** A unit as the caller sees it, with the caller's scope root for relative answers. */
export interface ScopedUnit {
  readonly unit: BusinessUnitRow;
  readonly scope: BusinessUnitRow;
  /** Levels between the caller's scope root and the unit (0: the scope root itself). */
  readonly levelsBelowScope: number;
}

/**
 * Loads `id` through the caller's scope (store-level tenancy filter, behind the access
 * check the service made first). Throws NotFoundError naming `what` when out of reach.
 */
export async function loadInScope(
  ctx: TenancyContext,
  id: string,
  what = 'Business unit',
  db?: TenancyDb,
): Promise<ScopedUnit> {
  const handle = db ?? tenancyDb(ctx.database);
  const scopeId = callerScope(ctx);
  const [unit, scope] = await Promise.all([findUnitInScope(handle, scopeId, id), findUnit(handle, scopeId)]);
  if (!unit || !scope) throw new NotFoundError(what);
  return { unit, scope, levelsBelowScope: unit.depth - scope.depth };
}

/** Where an inherited value comes from, without naming units above the caller's scope. */
export type ValueSource = { kind: 'default' } | { kind: 'unit'; buId: string } | { kind: 'above_scope' };

/** The source of a value found `distance` levels above the unit (undefined: the default). */
export function sourceOf(scoped: ScopedUnit, found: { bu_id: string; distance: number } | undefined): ValueSource {
  if (!found) return { kind: 'default' };
  return found.distance <= scoped.levelsBelowScope ? { kind: 'unit', buId: found.bu_id } : { kind: 'above_scope' };
}
