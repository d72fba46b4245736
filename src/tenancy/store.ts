import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import { type Database, newId } from '../platform/index.ts';
import type { BusinessUnitTable, TenancyTables } from './tables.ts';

export type BusinessUnitRow = BusinessUnitTable;

/** A connection or transaction that can see the tenancy tables. */
export type TenancyDb = Kysely<TenancyTables> | Transaction<TenancyTables>;

const views = new WeakMap<Database, TenancyDb>();

/** The tenancy view of an open database (or an existing tenancy-typed handle unchanged). */
export function tenancyDb(database: Database | TenancyDb): TenancyDb {
  if (!('dialect' in database && 'close' in database)) return database;
  let view = views.get(database);
  if (!view) {
    view = database.kysely.withTables<TenancyTables>();
    views.set(database, view);
  }
  return view;
}

/** The root units (no parent). An installation normally has exactly one. */
export async function findRootUnits(database: Database | TenancyDb): Promise<BusinessUnitRow[]> {
  return tenancyDb(database).selectFrom('business_units').selectAll().where('parent_id', 'is', null).execute();
}

/** Creates a root unit with its closure self-row. Only the installation bootstrap calls this. */
export async function insertRootUnit(
  trx: TenancyDb,
  input: { name: string; code?: string | null; now: number },
): Promise<BusinessUnitRow> {
  const row: BusinessUnitRow = {
    id: newId(input.now),
    parent_id: null,
    name: input.name,
    code: input.code ?? null,
    depth: 0,
    created_at: input.now,
    updated_at: input.now,
  };
  await trx.insertInto('business_units').values(row).execute();
  await trx.insertInto('bu_closure').values({ ancestor_id: row.id, descendant_id: row.id, depth: 0 }).execute();
  return row;
}

// The subtree check runs on every access decision: its SQL is compiled once per dialect
// and reused, which halves its cost (Kysely's query building dominates a primary-key lookup).
const subtreeCheckSql = new Map<unknown, string>();

/** True when `unitId` is `ancestorId` or below it: one primary-key lookup on the closure table. */
export async function isInSubtree(
  database: Database | TenancyDb,
  ancestorId: string,
  unitId: string,
): Promise<boolean> {
  const db = tenancyDb(database);
  const dialect = db.getExecutor().adapter.constructor;
  let text = subtreeCheckSql.get(dialect);
  if (text === undefined) {
    text = db
      .selectFrom('bu_closure')
      .select('depth')
      .where('ancestor_id', '=', ancestorId)
      .where('descendant_id', '=', unitId)
      .compile().sql;
    subtreeCheckSql.set(dialect, text);
  }
  const result = await db.executeQuery(CompiledQuery.raw(text, [ancestorId, unitId]));
  return result.rows.length > 0;
}

/** The unit, or undefined. No scope filter: callers inside tenancy check reach first. */
export async function findUnit(database: Database | TenancyDb, id: string): Promise<BusinessUnitRow | undefined> {
  return tenancyDb(database).selectFrom('business_units').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The unit if it lies in the subtree of `scopeId`, else undefined. */
export async function findUnitInScope(
  db: TenancyDb,
  scopeId: string,
  id: string,
): Promise<BusinessUnitRow | undefined> {
  return db
    .selectFrom('business_units as u')
    .innerJoin('bu_closure as c', (join) =>
      join.onRef('c.descendant_id', '=', 'u.id').on('c.ancestor_id', '=', scopeId),
    )
    .selectAll('u')
    .where('u.id', '=', id)
    .executeTakeFirst();
}

/** A child of `parentId` whose code equals `code` ignoring case, other than `exceptId`. */
export async function findSiblingWithCode(
  db: TenancyDb,
  parentId: string,
  code: string,
  exceptId?: string,
): Promise<BusinessUnitRow | undefined> {
  let query = db
    .selectFrom('business_units')
    .selectAll()
    .where('parent_id', '=', parentId)
    .where(sql<string>`lower(code)`, '=', code.toLowerCase());
  if (exceptId) query = query.where('id', '<>', exceptId);
  return query.executeTakeFirst();
}

/** Inserts a unit under `parent` and its closure rows (the parent's ancestors plus itself). */
export async function insertChildUnit(
  trx: TenancyDb,
  parent: BusinessUnitRow,
  input: { name: string; code: string | null; now: number },
): Promise<BusinessUnitRow> {
  const row: BusinessUnitRow = {
    id: newId(input.now),
    parent_id: parent.id,
    name: input.name,
    code: input.code,
    depth: parent.depth + 1,
    created_at: input.now,
    updated_at: input.now,
  };
  await trx.insertInto('business_units').values(row).execute();
  await trx
    .insertInto('bu_closure')
    .columns(['ancestor_id', 'descendant_id', 'depth'])
    .expression((eb) =>
      eb
        .selectFrom('bu_closure')
        .select([
          'ancestor_id',
          sql<string>`cast(${row.id} as text)`.as('descendant_id'),
          sql<number>`depth + 1`.as('depth'),
        ])
        .where('descendant_id', '=', parent.id),
    )
    .execute();
  await trx.insertInto('bu_closure').values({ ancestor_id: row.id, descendant_id: row.id, depth: 0 }).execute();
  return row;
}

/** Writes the changed name and/or code. */
export async function updateUnit(
  trx: TenancyDb,
  id: string,
  changes: { name?: string; code?: string | null; now: number },
): Promise<void> {
  await trx
    .updateTable('business_units')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.code !== undefined ? { code: changes.code } : {}),
      updated_at: changes.now,
    })
    .where('id', '=', id)
    .execute();
}

/** Number of units in the subtree of `id`, the unit itself included (an index range count). */
export async function countSubtree(db: TenancyDb, id: string): Promise<number> {
  const row = await db
    .selectFrom('bu_closure')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('ancestor_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many levels the subtree of `id` spans below it (0 for a leaf). */
export async function subtreeHeight(db: TenancyDb, id: string): Promise<number> {
  const row = await db
    .selectFrom('bu_closure')
    .select((eb) => eb.fn.max('depth').as('height'))
    .where('ancestor_id', '=', id)
    .executeTakeFirst();
  return Number(row?.height ?? 0);
}

/** True when the unit has at least one child. */
export async function hasChildren(db: TenancyDb, id: string): Promise<boolean> {
  const row = await db
    .selectFrom('business_units')
    .select('id')
    .where('parent_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** A unit row with whether it has children (SQLite answers 0/1, PostgreSQL a boolean). */
export type UnitRowWithChildren = BusinessUnitRow & { has_children: boolean | number };

/** Children of `parentId` in (name, id) order, starting after the cursor position. */
export async function listChildren(
  db: TenancyDb,
  parentId: string,
  page: { after?: { name: string; id: string }; limit: number },
): Promise<UnitRowWithChildren[]> {
  let query = db
    .selectFrom('business_units')
    .selectAll('business_units')
    .select((eb) =>
      eb
        .exists(eb.selectFrom('business_units as k').select('k.id').whereRef('k.parent_id', '=', 'business_units.id'))
        .as('has_children'),
    )
    .where('parent_id', '=', parentId);
  const after = page.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('name', '>', after.name), eb.and([eb('name', '=', after.name), eb('id', '>', after.id)])]),
    );
  }
  return query.orderBy('name').orderBy('id').limit(page.limit).execute();
}

export interface SubtreeFilter {
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  code?: string;
  /** Levels below the subtree root to include (0: the root only). */
  maxDepth?: number;
}

export type SubtreeRow = UnitRowWithChildren & { relative_depth: number };

/**
 * Units in the subtree of `rootId` (root included), in id order — the closure table's own
 * key order, so each page is an index range scan however large the subtree is.
 */
export async function listSubtree(
  db: TenancyDb,
  rootId: string,
  filter: SubtreeFilter,
  page: { afterId?: string; limit: number },
): Promise<SubtreeRow[]> {
  let query = db
    .selectFrom('bu_closure as c')
    .innerJoin('business_units as u', 'u.id', 'c.descendant_id')
    .selectAll('u')
    .select('c.depth as relative_depth')
    .select((eb) =>
      eb
        .exists(eb.selectFrom('business_units as k').select('k.id').whereRef('k.parent_id', '=', 'u.id'))
        .as('has_children'),
    )
    .where('c.ancestor_id', '=', rootId);
  if (page.afterId) query = query.where('c.descendant_id', '>', page.afterId);
  if (filter.maxDepth !== undefined) query = query.where('c.depth', '<=', filter.maxDepth);
  if (filter.code !== undefined) query = query.where(sql<string>`lower(u.code)`, '=', filter.code.toLowerCase());
  if (filter.nameContains !== undefined) {
    const pattern = `%${filter.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`lower(u.name) like ${pattern} escape '\\'`);
  }
  return query.orderBy('c.descendant_id').limit(page.limit).execute();
}

/** Number of units matching the filter in the subtree of `rootId`. */
export async function countSubtreeMatching(db: TenancyDb, rootId: string, filter: SubtreeFilter): Promise<number> {
  let query = db
    .selectFrom('bu_closure as c')
    .innerJoin('business_units as u', 'u.id', 'c.descendant_id')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('c.ancestor_id', '=', rootId);
  if (filter.maxDepth !== undefined) query = query.where('c.depth', '<=', filter.maxDepth);
  if (filter.code !== undefined) query = query.where(sql<string>`lower(u.code)`, '=', filter.code.toLowerCase());
  if (filter.nameContains !== undefined) {
    const pattern = `%${filter.nameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`lower(u.name) like ${pattern} escape '\\'`);
  }
  const row = await query.executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Ancestors of `id` from the top of the caller's reach down to the unit itself: units above
 * `scopeId` are never returned, so a principal cannot learn what lies above its scope.
 */
export async function pathWithinScope(db: TenancyDb, scopeId: string, id: string): Promise<BusinessUnitRow[]> {
  return db
    .selectFrom('bu_closure as c')
    .innerJoin('bu_closure as s', (join) =>
      join.onRef('s.descendant_id', '=', 'c.ancestor_id').on('s.ancestor_id', '=', scopeId),
    )
    .innerJoin('business_units as u', 'u.id', 'c.ancestor_id')
    .selectAll('u')
    .where('c.descendant_id', '=', id)
    .orderBy('c.depth', 'desc')
    .execute();
}

/** Ids of every ancestor of `id` (itself excluded), nearest first. */
export async function ancestorIds(db: TenancyDb, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('bu_closure')
    .select('ancestor_id')
    .where('descendant_id', '=', id)
    .where('depth', '>', 0)
    .orderBy('depth')
    .execute();
  return rows.map((r) => r.ancestor_id);
}

/** Ids of every unit in the subtree of `id`, the unit itself included. */
export async function listSubtreeIds(database: Database | TenancyDb, id: string): Promise<string[]> {
  const rows = await tenancyDb(database)
    .selectFrom('bu_closure')
    .select('descendant_id')
    .where('ancestor_id', '=', id)
    .execute();
  return rows.map((r) => r.descendant_id);
}

/**
 * Re-links the subtree of `unitId` under `newParentId` in four set-based statements:
 * drop the links from the old ancestors to every unit of the subtree, add the cross
 * product of the new parent's ancestors (and itself) with the subtree, shift the stored
 * depths, and set the parent. The caller runs it in a transaction and has ruled out cycles.
 */
export async function moveSubtree(
  trx: TenancyDb,
  unitId: string,
  newParentId: string,
  depthDelta: number,
  now: number,
): Promise<void> {
  await trx
    .deleteFrom('bu_closure')
    .where('descendant_id', 'in', (eb) =>
      eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', unitId),
    )
    .where('ancestor_id', 'in', (eb) =>
      eb.selectFrom('bu_closure').select('ancestor_id').where('descendant_id', '=', unitId).where('depth', '>', 0),
    )
    .execute();
  await trx
    .insertInto('bu_closure')
    .columns(['ancestor_id', 'descendant_id', 'depth'])
    .expression((eb) =>
      eb
        .selectFrom('bu_closure as a')
        .innerJoin('bu_closure as d', (join) => join.on('d.ancestor_id', '=', unitId))
        .select(['a.ancestor_id', 'd.descendant_id', sql<number>`a.depth + d.depth + 1`.as('depth')])
        .where('a.descendant_id', '=', newParentId),
    )
    .execute();
  if (depthDelta !== 0) {
    await trx
      .updateTable('business_units')
      .set((eb) => ({ depth: eb('depth', '+', depthDelta) }))
      .where('id', 'in', (eb) => eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', unitId))
      .execute();
  }
  await trx
    .updateTable('business_units')
    .set({ parent_id: newParentId, updated_at: now })
    .where('id', '=', unitId)
    .execute();
}

/** Deletes a leaf unit and its closure rows; its settings, brand and logo rows cascade. */
export async function deleteLeafUnit(trx: TenancyDb, id: string): Promise<void> {
  await trx.deleteFrom('bu_closure').where('descendant_id', '=', id).execute();
  await trx.deleteFrom('business_units').where('id', '=', id).execute();
}

/**
 * Serialises tree changes on PostgreSQL, whose transactions run concurrently: moves take
 * the lock exclusively (two crossing moves could otherwise build a cycle), creates and
 * deletes share it (a child created while its parent moves would get stale closure rows).
 * SQLite runs one write transaction at a time already.
 */
export async function lockTree(
  trx: TenancyDb,
  dialect: Database['dialect'],
  mode: 'shared' | 'exclusive',
): Promise<void> {
  if (dialect !== 'postgres') return;
  const key = 0x0c0ffe;
  if (mode === 'exclusive') await sql`select pg_advisory_xact_lock(${key})`.execute(trx);
  else await sql`select pg_advisory_xact_lock_shared(${key})`.execute(trx);
}

/** True when `error` is the database refusing a row for a unique or foreign-key constraint. */
export function isConstraintViolation(error: unknown, kind: 'unique' | 'foreign_key'): boolean {
  const e = error as { code?: unknown; errcode?: unknown; message?: unknown } | null;
  if (!e) return false;
  // PostgreSQL: SQLSTATE 23505 / 23503. SQLite (node:sqlite): the message names the constraint.
  if (e.code === (kind === 'unique' ? '23505' : '23503')) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return kind === 'unique'
    ? message.includes('UNIQUE constraint failed')
    : message.includes('FOREIGN KEY constraint failed');
}

/**
 * Units whose principals lose (`losing`) or gain (`gaining`) reach of a subtree moved from
 * `oldParentId` to `newParentId`: the ancestors-or-self of one parent that are not
 * ancestors-or-self of the other.
 */
export async function reachChangeScopes(
  db: TenancyDb,
  oldParentId: string,
  newParentId: string,
): Promise<{ losing: string[]; gaining: string[] }> {
  const rows = await db
    .selectFrom('bu_closure')
    .select(['ancestor_id', 'descendant_id'])
    .where('descendant_id', 'in', [oldParentId, newParentId])
    .execute();
  const above = (id: string) => new Set(rows.filter((r) => r.descendant_id === id).map((r) => r.ancestor_id));
  const oldSide = above(oldParentId);
  const newSide = above(newParentId);
  return {
    losing: [...oldSide].filter((id) => !newSide.has(id)),
    gaining: [...newSide].filter((id) => !oldSide.has(id)),
  };
}
