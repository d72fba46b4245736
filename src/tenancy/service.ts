import { decodeCursor, encodeCursor, ForbiddenError, type Page, pageSize, ValidationError } from '../platform/index.ts';
import type { TenancyContext } from './context.ts';
import { deletionRefusals } from './deletion-guards.ts';
import { TreeConflictError, TreeRuleError } from './errors.ts';
import { loadInScope, type ScopedUnit } from './scope.ts';
import {
  type BusinessUnitRow,
  countSubtreeMatching,
  deleteLeafUnit,
  findSiblingWithCode,
  hasChildren,
  insertChildUnit,
  isConstraintViolation,
  listChildren,
  listSubtree,
  lockTree,
  pathWithinScope,
  type SubtreeFilter,
  tenancyDb,
  updateUnit,
} from './store.ts';
import { normalizeName, validateCode } from './validation.ts';

/** Deepest absolute level a unit may sit at (the root is level 0): 32 levels in all. */
export const MAX_DEPTH = 31;

/** A business unit as the API shows it to one caller. */
export interface UnitView {
  id: string;
  /** null for the caller's own scope root: what lies above it is not the caller's to see. */
  parentId: string | null;
  name: string;
  code: string | null;
  /** Levels below the caller's scope root (0: the scope root). */
  depth: number;
  createdAt: string;
  updatedAt: string;
}

/** Shapes a row for a caller whose scope root is `scope`. */
export function unitView(row: BusinessUnitRow, scope: BusinessUnitRow): UnitView {
  return {
    id: row.id,
    parentId: row.id === scope.id ? null : row.parent_id,
    name: row.name,
    code: row.code,
    depth: row.depth - scope.depth,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

function summary(row: BusinessUnitRow): Record<string, unknown> {
  return { name: row.name, code: row.code, parentId: row.parent_id };
}

async function refuseCodeClash(
  db: Parameters<typeof findSiblingWithCode>[0],
  parentId: string,
  code: string,
  exceptId?: string,
) {
  if (await findSiblingWithCode(db, parentId, code, exceptId)) {
    throw new TreeConflictError('code_taken', `code "${code}" is already used by a sibling unit`, { field: 'code' });
  }
}

/** Creates a unit under `parentId`. Requires `bu.create` on the parent. */
export async function createUnit(
  ctx: TenancyContext,
  input: { parentId: string; name: string; code?: string | null },
): Promise<UnitView> {
  await ctx.access.require('bu.create', input.parentId, 'Parent business unit');
  const name = normalizeName(input.name);
  const code = validateCode(input.code);
  const now = ctx.clock.now();
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await lockTree(trx, ctx.database.dialect, 'shared');
      const { unit: parent, scope } = await loadInScope(ctx, input.parentId, 'Parent business unit', trx);
      if (parent.depth + 1 > MAX_DEPTH) {
        throw new TreeRuleError('depth_limit', `units may be nested at most ${MAX_DEPTH + 1} levels deep`);
      }
      if (code !== null) await refuseCodeClash(trx, parent.id, code);
      const row = await insertChildUnit(trx, parent, { name, code, now }).catch((error: unknown) => {
        if (isConstraintViolation(error, 'unique')) {
          throw new TreeConflictError(
            'code_taken',
            `code "${code}" is already used by a sibling unit`,
            { field: 'code' },
            error,
          );
        }
        throw error;
      });
      await ctx.audit.record(
        { action: 'bu.create', buId: row.id, resourceType: 'business_unit', resourceId: row.id, after: summary(row) },
        trx,
      );
      return unitView(row, scope);
    });
}

/** The unit. Requires `bu.read` on it. */
export async function getUnit(ctx: TenancyContext, id: string): Promise<UnitView> {
  await ctx.access.require('bu.read', id, 'Business unit');
  const { unit, scope } = await loadInScope(ctx, id);
  return unitView(unit, scope);
}

/** Renames the unit and/or changes its code (null removes it). Requires `bu.update`. */
export async function updateUnitDetails(
  ctx: TenancyContext,
  id: string,
  input: { name?: string; code?: string | null },
): Promise<UnitView> {
  await ctx.access.require('bu.update', id, 'Business unit');
  const name = input.name === undefined ? undefined : normalizeName(input.name);
  const code = input.code === undefined ? undefined : validateCode(input.code);
  const now = ctx.clock.now();
  return tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      const { unit, scope } = await loadInScope(ctx, id, 'Business unit', trx);
      const changes = {
        ...(name !== undefined && name !== unit.name ? { name } : {}),
        ...(code !== undefined && code !== unit.code ? { code } : {}),
      };
      if (Object.keys(changes).length === 0) return unitView(unit, scope);
      if (changes.code && unit.parent_id) await refuseCodeClash(trx, unit.parent_id, changes.code, unit.id);
      await updateUnit(trx, id, { ...changes, now }).catch((error: unknown) => {
        if (isConstraintViolation(error, 'unique')) {
          throw new TreeConflictError(
            'code_taken',
            `code "${code}" is already used by a sibling unit`,
            { field: 'code' },
            error,
          );
        }
        throw error;
      });
      const updated = { ...unit, ...changes, updated_at: now };
      await ctx.audit.record(
        {
          action: 'bu.update',
          buId: id,
          resourceType: 'business_unit',
          resourceId: id,
          before: summary(unit),
          after: summary(updated),
        },
        trx,
      );
      return unitView(updated, scope);
    });
}

/** Children of the unit in name order, paged. Requires `bu.read`. */
export async function listUnitChildren(
  ctx: TenancyContext,
  id: string,
  page: { cursor?: string; limit?: number },
): Promise<Page<ListedUnit>> {
  await ctx.access.require('bu.read', id, 'Business unit');
  const limit = pageSize(page.limit);
  const after = page.cursor ? decodeCursor(page.cursor, ['name', 'id'] as const) : undefined;
  const { scope } = await loadInScope(ctx, id);
  const rows = await listChildren(tenancyDb(ctx.database), id, { ...(after ? { after } : {}), limit: limit + 1 });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map((r) => ({ ...unitView(r, scope), hasChildren: Boolean(r.has_children) })),
    nextCursor: rows.length > limit && last ? encodeCursor({ name: last.name, id: last.id }) : null,
  };
}

/** A unit in a listing, with whether it has children (so a tree knows what it can expand). */
export type ListedUnit = UnitView & { hasChildren: boolean };
export type SubtreeItem = ListedUnit & { relativeDepth: number };

/**
 * The unit and everything below it, in id order (creation order), paged and filtered.
 * `total` counts all matches when asked for. Requires `bu.read`.
 */
export async function listUnitSubtree(
  ctx: TenancyContext,
  id: string,
  options: SubtreeFilter & { cursor?: string; limit?: number; includeTotal?: boolean },
): Promise<Page<SubtreeItem> & { total?: number }> {
  await ctx.access.require('bu.read', id, 'Business unit');
  const limit = pageSize(options.limit);
  const afterId = options.cursor ? decodeCursor(options.cursor, ['id'] as const).id : undefined;
  if (options.maxDepth !== undefined && (!Number.isInteger(options.maxDepth) || options.maxDepth < 0)) {
    throw new ValidationError('maxDepth must be a non-negative integer', { field: 'maxDepth' });
  }
  const filter: SubtreeFilter = {
    ...(options.nameContains ? { nameContains: options.nameContains } : {}),
    ...(options.code ? { code: options.code } : {}),
    ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
  };
  const { scope } = await loadInScope(ctx, id);
  const db = tenancyDb(ctx.database);
  const rows = await listSubtree(db, id, filter, { ...(afterId ? { afterId } : {}), limit: limit + 1 });
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const result: Page<SubtreeItem> & { total?: number } = {
    items: items.map((r) => ({
      ...unitView(r, scope),
      relativeDepth: r.relative_depth,
      hasChildren: Boolean(r.has_children),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
  };
  if (options.includeTotal) result.total = await countSubtreeMatching(db, id, filter);
  return result;
}

/** From the caller's scope root down to the unit (never above the scope). Requires `bu.read`. */
export async function getUnitPath(ctx: TenancyContext, id: string): Promise<UnitView[]> {
  await ctx.access.require('bu.read', id, 'Business unit');
  const { scope } = await loadInScope(ctx, id);
  const rows = await pathWithinScope(tenancyDb(ctx.database), scope.id, id);
  return rows.map((r) => unitView(r, scope));
}

function refuseOwnScopeOrRoot(scoped: ScopedUnit, action: 'delete' | 'move'): void {
  if (scoped.unit.parent_id === null) {
    throw new TreeRuleError(action === 'delete' ? 'delete_root' : 'move_root', `the root unit cannot be ${action}d`);
  }
  if (scoped.levelsBelowScope === 0) {
    const reason = action === 'delete' ? 'delete_scope_root' : 'move_scope_root';
    throw new ForbiddenError(`your own top unit cannot be ${action}d by you`, { reason });
  }
}

/**
 * Deletes a unit without children once every registered deletion guard allows it.
 * Requires `bu.delete`. The caller's own scope root and the root unit cannot be deleted.
 */
export async function deleteUnit(ctx: TenancyContext, id: string): Promise<void> {
  await ctx.access.require('bu.delete', id, 'Business unit');
  await tenancyDb(ctx.database)
    .transaction()
    .execute(async (trx) => {
      await lockTree(trx, ctx.database.dialect, 'shared');
      const scoped = await loadInScope(ctx, id, 'Business unit', trx);
      refuseOwnScopeOrRoot(scoped, 'delete');
      if (await hasChildren(trx, id)) {
        throw new TreeConflictError('has_children', 'the unit still has child units; move or delete them first');
      }
      const refusals = await deletionRefusals(trx, id);
      if (refusals.length > 0) {
        throw new TreeConflictError(
          'delete_guard',
          `the unit cannot be deleted: ${refusals.map((r) => r.reason).join('; ')}`,
          { refusals },
        );
      }
      // Audit first: the entry names the parent as the place of the change, which survives.
      await ctx.audit.record(
        {
          action: 'bu.delete',
          buId: scoped.unit.parent_id,
          resourceType: 'business_unit',
          resourceId: id,
          before: summary(scoped.unit),
        },
        trx,
      );
      await deleteLeafUnit(trx, id).catch((error: unknown) => {
        if (isConstraintViolation(error, 'foreign_key')) {
          throw new TreeConflictError('still_referenced', 'the unit is still referenced by other records', {}, error);
        }
        throw error;
      });
    });
}

export { refuseOwnScopeOrRoot };
