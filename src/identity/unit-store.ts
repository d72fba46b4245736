import { type TenancyDb, isInSubtree as tenancyIsInSubtree } from '../tenancy/index.ts';
import type { IdentityDb } from './db.ts';

/**
 * The few business-unit tree queries identity needs, on tenancy's closure table (read
 * only; tenancy owns the tree).
 */

/** True when `buId` is `ancestorId` or lies below it (tenancy's closure-table check). */
export function isInSubtree(db: IdentityDb, ancestorId: string, buId: string): Promise<boolean> {
  return tenancyIsInSubtree(db as unknown as TenancyDb, ancestorId, buId);
}

/** `buId` and all its ancestors, nearest first; empty when the unit does not exist. */
export async function ancestorIds(db: IdentityDb, buId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('bu_closure')
    .select('ancestor_id')
    .where('descendant_id', '=', buId)
    .orderBy('depth', 'asc')
    .execute();
  return rows.map((r) => r.ancestor_id);
}

export async function unitExists(db: IdentityDb, buId: string): Promise<boolean> {
  const row = await db.selectFrom('business_units').select('id').where('id', '=', buId).executeTakeFirst();
  return row !== undefined;
}

export async function unitNames(db: IdentityDb, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('business_units')
    .select(['id', 'name'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** The root of the tree holding `buId` (null when the unit does not exist). */
export async function rootOf(db: IdentityDb, buId: string): Promise<string | null> {
  const row = await db
    .selectFrom('bu_closure')
    .innerJoin('business_units', 'business_units.id', 'bu_closure.ancestor_id')
    .select('business_units.id')
    .where('bu_closure.descendant_id', '=', buId)
    .where('business_units.parent_id', 'is', null)
    .executeTakeFirst();
  return row?.id ?? null;
}
