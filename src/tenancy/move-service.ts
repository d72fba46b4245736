import { NotFoundError } from '../platform/index.ts';
import { brandsOnPath, nearestLogo, ownLogo, type PathBrandRow } from './brand-store.ts';
import { brandFields, resolveBrandFields } from './branding.ts';
import type { TenancyContext } from './context.ts';
import { TreeConflictError, TreeRuleError } from './errors.ts';
import { sameJson } from './json.ts';
import type { MoveImpactProvider, ReachChange } from './move-impact.ts';
import { notifyMoveListeners } from './move-listeners.ts';
import { loadInScope, type ScopedUnit, sourceOf, type ValueSource } from './scope.ts';
import { MAX_DEPTH, refuseOwnScopeOrRoot, type UnitView, unitView } from './service.ts';
import { listSettingDefinitions } from './settings.ts';
import { resolveSetting } from './settings-service.ts';
import { type PathSettingRow, settersInsideSubtree, settingsOnPath } from './settings-store.ts';
import {
  type BusinessUnitRow,
  countSubtree,
  findSiblingWithCode,
  findUnitInScope,
  isInSubtree,
  lockTree,
  moveSubtree,
  subtreeHeight,
  type TenancyDb,
  tenancyDb,
} from './store.ts';

interface MovePlan {
  readonly moving: ScopedUnit;
  readonly newParent: BusinessUnitRow;
  readonly unitCount: number;
  /** True when the unit already sits under the new parent. */
  readonly unchanged: boolean;
}

/**
 * The caller needs `bu.move` on the unit, its current parent and the new parent; its own
 * scope root and the root unit never move. Runs before any transaction (the access module
 * uses its own connection).
 */
async function checkMoveAccess(ctx: TenancyContext, id: string, newParentId: string): Promise<ScopedUnit> {
  await ctx.access.require('bu.move', id, 'Business unit');
  const scoped = await loadInScope(ctx, id);
  refuseOwnScopeOrRoot(scoped, 'move');
  await ctx.access.require('bu.move', scoped.unit.parent_id ?? '', 'Business unit');
  await ctx.access.require('bu.move', newParentId, 'Target business unit');
  return scoped;
}

/** Refuses cycles, too-deep results and sibling code clashes; counts what would move. */
async function planMove(db: TenancyDb, scoped: ScopedUnit, newParentId: string): Promise<MovePlan> {
  const unit = scoped.unit;
  const newParent = await findUnitInScope(db, scoped.scope.id, newParentId);
  if (!newParent) throw new NotFoundError('Target business unit');
  if (await isInSubtree(db, unit.id, newParent.id)) {
    throw new TreeRuleError('move_cycle', 'a unit cannot be moved under itself or one of its own descendants', {
      field: 'parentId',
    });
  }
  const unchanged = newParent.id === unit.parent_id;
  const [height, unitCount] = await Promise.all([subtreeHeight(db, unit.id), countSubtree(db, unit.id)]);
  if (!unchanged && newParent.depth + 1 + height > MAX_DEPTH) {
    throw new TreeRuleError('depth_limit', `after the move units would be nested deeper than ${MAX_DEPTH + 1} levels`);
  }
  if (!unchanged && unit.code !== null && (await findSiblingWithCode(db, newParent.id, unit.code, unit.id))) {
    throw new TreeConflictError('code_taken', `the new parent already has a child with code "${unit.code}"`, {
      field: 'code',
    });
  }
  return { moving: scoped, newParent, unitCount, unchanged };
}

/**
 * Moves the unit with its whole subtree under `newParentId`, atomically, and records it in
 * the audit log. Everything that hangs off the units (data sources, users, settings) follows
 * because it refers to the units, not to their place. Moving under the current parent is a
 * no-op. Throws TreeRuleError (cycle, depth), TreeConflictError (code clash), NotFoundError,
 * ForbiddenError.
 */
export async function moveUnit(
  ctx: TenancyContext,
  id: string,
  newParentId: string,
): Promise<{ unit: UnitView; movedUnits: number }> {
  const checked = await checkMoveAccess(ctx, id, newParentId);
  const now = ctx.clock.now();
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await lockTree(trx, ctx.database.dialect, 'exclusive');
      const scoped = await loadInScope(ctx, id, 'Business unit', trx);
      if (scoped.unit.parent_id !== checked.unit.parent_id) {
        throw new TreeConflictError('concurrent_change', 'the unit was moved by someone else meanwhile; try again');
      }
      const plan = await planMove(trx, scoped, newParentId);
      if (plan.unchanged) return { unit: unitView(scoped.unit, scoped.scope), movedUnits: 0 };
      const unit = scoped.unit;
      await moveSubtree(trx, unit.id, plan.newParent.id, plan.newParent.depth + 1 - unit.depth, now);
      await notifyMoveListeners(trx, {
        movedBuId: unit.id,
        oldParentId: unit.parent_id,
        newParentId: plan.newParent.id,
        now,
      });
      await ctx.audit.record(
        {
          action: 'bu.move',
          buId: unit.id,
          resourceType: 'business_unit',
          resourceId: unit.id,
          before: { parentId: unit.parent_id },
          after: { parentId: plan.newParent.id, unitsMoved: plan.unitCount },
        },
        trx,
      );
      const moved = { ...unit, parent_id: plan.newParent.id, depth: plan.newParent.depth + 1, updated_at: now };
      return { unit: unitView(moved, scoped.scope), movedUnits: plan.unitCount };
    });
}

/** One inherited setting whose effective value the move changes somewhere in the subtree. */
export interface SettingChange {
  key: string;
  /** Units of the moved subtree whose effective value changes. */
  unitsAffected: number;
  /** At the moved unit itself. */
  before: { value: unknown; source: ValueSource };
  after: { value: unknown; source: ValueSource };
}

/** One brand field (or the logo) whose effective value at the moved unit changes. */
export interface BrandChange {
  field: string;
  before: { value: string | null; source: ValueSource };
  after: { value: string | null; source: ValueSource };
}

export interface MovePreview {
  unitId: string;
  fromParentId: string;
  toParentId: string;
  unitsMoving: number;
  settings: SettingChange[];
  brand: BrandChange[];
  /** Users and API keys whose reach changes; null when no identity provider is wired. */
  principals: ReachChange[] | null;
}

/** The rows of a path as seen from one level further down. */
function shifted<R extends { distance: number }>(rows: readonly R[]): R[] {
  return rows.map((r) => ({ ...r, distance: r.distance + 1 }));
}

/** The unit as placed under `parent`, for telling which sources the caller can see. */
function placedUnder(scoped: ScopedUnit, parent: BusinessUnitRow): ScopedUnit {
  return { ...scoped, levelsBelowScope: parent.depth + 1 - scoped.scope.depth };
}

function parsed(row: PathSettingRow | undefined, fallback: unknown): unknown {
  return row ? JSON.parse(row.value) : fallback;
}

async function settingChanges(db: TenancyDb, plan: MovePlan, oldParent: BusinessUnitRow): Promise<SettingChange[]> {
  const unit = plan.moving.unit;
  const [oldPath, newPath, ownRows] = await Promise.all([
    settingsOnPath(db, oldParent.id),
    settingsOnPath(db, plan.newParent.id),
    settingsOnPath(db, unit.id).then((rows) => rows.filter((r) => r.distance === 0)),
  ]);
  const changes: SettingChange[] = [];
  for (const definition of listSettingDefinitions()) {
    const key = definition.key;
    const outOld = resolveSetting(oldPath.filter((r) => r.key === key));
    const outNew = resolveSetting(newPath.filter((r) => r.key === key));
    const oldValue = parsed(outOld, definition.default);
    const newValue = parsed(outNew, definition.default);
    const oldLocked = outOld?.locked === 1;
    const newLocked = outNew?.locked === 1;
    if (sameJson(oldValue, newValue) && oldLocked === newLocked) continue;

    // Units below a setter inside the subtree keep that value unless a lock from outside overrides it.
    const inside = await settersInsideSubtree(db, unit.id, key);
    const byUnit = new Map<string, typeof inside>();
    for (const row of inside) byUnit.set(row.descendant_id, [...(byUnit.get(row.descendant_id) ?? []), row]);
    let affected = sameJson(oldValue, newValue) ? 0 : plan.unitCount - byUnit.size;
    if (oldLocked || newLocked) {
      for (const rows of byUnit.values()) {
        const own = resolveSetting(rows);
        const insideValue = own ? JSON.parse(own.value) : definition.default;
        const before = oldLocked ? oldValue : insideValue;
        const after = newLocked ? newValue : insideValue;
        if (!sameJson(before, after)) affected++;
      }
    }
    if (affected === 0) continue;

    const own = ownRows.filter((r) => r.key === key);
    const atUnitBefore = resolveSetting([...own, ...shifted(oldPath.filter((r) => r.key === key))]);
    const atUnitAfter = resolveSetting([...own, ...shifted(newPath.filter((r) => r.key === key))]);
    changes.push({
      key,
      unitsAffected: affected,
      before: {
        value: parsed(atUnitBefore, definition.default),
        source: sourceOf(placedUnder(plan.moving, oldParent), atUnitBefore),
      },
      after: {
        value: parsed(atUnitAfter, definition.default),
        source: sourceOf(placedUnder(plan.moving, plan.newParent), atUnitAfter),
      },
    });
  }
  return changes;
}

async function brandChanges(db: TenancyDb, plan: MovePlan, oldParent: BusinessUnitRow): Promise<BrandChange[]> {
  const unit = plan.moving.unit;
  const [oldPath, newPath, own, oldLogo, newLogo, unitLogo] = await Promise.all([
    brandsOnPath(db, oldParent.id),
    brandsOnPath(db, plan.newParent.id),
    brandsOnPath(db, unit.id).then((rows) => rows.filter((r) => r.distance === 0)),
    nearestLogo(db, oldParent.id),
    nearestLogo(db, plan.newParent.id),
    ownLogo(db, unit.id),
  ]);
  const before = resolveBrandFields([...own, ...shifted<PathBrandRow>(oldPath)]);
  const after = resolveBrandFields([...own, ...shifted<PathBrandRow>(newPath)]);
  const wasUnder = placedUnder(plan.moving, oldParent);
  const willBeUnder = placedUnder(plan.moving, plan.newParent);
  const changes: BrandChange[] = [];
  for (const field of brandFields) {
    if (before[field].value === after[field].value) continue;
    changes.push({
      field,
      before: { value: before[field].value, source: sourceOf(wasUnder, before[field].row) },
      after: { value: after[field].value, source: sourceOf(willBeUnder, after[field].row) },
    });
  }
  if (!unitLogo && oldLogo?.sha256 !== newLogo?.sha256) {
    const at = (logo: typeof oldLogo, placed: ScopedUnit) => ({
      value: logo ? logo.sha256 : null,
      source: sourceOf(placed, logo ? { bu_id: logo.bu_id, distance: logo.distance + 1 } : undefined),
    });
    changes.push({ field: 'logo', before: at(oldLogo, wasUnder), after: at(newLogo, willBeUnder) });
  }
  return changes;
}

/**
 * What {@link moveUnit} would change, without changing anything: how many units move, which
 * inherited settings and brand fields change, and (through the identity module's provider)
 * which users and API keys gain or lose reach. Refuses exactly what the move would refuse.
 */
export async function previewMove(
  ctx: TenancyContext,
  id: string,
  newParentId: string,
  impact?: MoveImpactProvider,
): Promise<MovePreview> {
  const scoped = await checkMoveAccess(ctx, id, newParentId);
  const db = tenancyDb(ctx.database);
  const plan = await planMove(db, scoped, newParentId);
  const oldParent = await findUnitInScope(db, scoped.scope.id, scoped.unit.parent_id ?? '');
  if (!oldParent) throw new NotFoundError('Business unit');
  const base = {
    unitId: scoped.unit.id,
    fromParentId: oldParent.id,
    toParentId: plan.newParent.id,
    unitsMoving: plan.unchanged ? 0 : plan.unitCount,
  };
  if (plan.unchanged) return { ...base, settings: [], brand: [], principals: [] };
  const [settings, brand, principals] = await Promise.all([
    settingChanges(db, plan, oldParent),
    brandChanges(db, plan, oldParent),
    impact ? impact.principalsWhoseReachChanges(ctx.database, scoped.unit.id, oldParent.id, plan.newParent.id) : null,
  ]);
  return { ...base, settings, brand, principals };
}
