import type { Database } from '../../src/platform/index.ts';
import { newId } from '../../src/platform/index.ts';
import type { UsageTables } from '../../src/usage/index.ts';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchTree {
  readonly root: string;
  readonly resellers: readonly string[];
  readonly customers: readonly string[];
  readonly departments: readonly string[];
  /** Every unit except the root. */
  readonly descendants: number;
}

/**
 * An MSP root with `descendants` units below it: 50 resellers, 10 customers each, and the
 * rest as departments spread evenly over the customers (four levels). Written in bulk
 * straight into the tenancy tables (units plus closure rows), as a tree built over years.
 */
export async function buildTree(database: Database, descendants: number): Promise<BenchTree> {
  const db = database.kysely.withTables<UsageTables>();
  const units: { id: string; parent_id: string | null; name: string; code: string; depth: number }[] = [];
  const closure: { ancestor_id: string; descendant_id: string; depth: number }[] = [];
  const path = new Map<string, string[]>();
  const add = (parent: string | null, name: string): string => {
    const id = newId();
    const ancestors = parent ? [...(path.get(parent) ?? []), parent] : [];
    path.set(id, ancestors);
    units.push({ id, parent_id: parent, name, code: `u${units.length}`, depth: ancestors.length });
    closure.push({ ancestor_id: id, descendant_id: id, depth: 0 });
    for (const [i, a] of ancestors.entries())
      closure.push({ ancestor_id: a, descendant_id: id, depth: ancestors.length - i });
    return id;
  };
  const root = add(null, 'MSP');
  const resellers = Array.from({ length: 50 }, (_, i) => add(root, `Reseller ${i + 1}`));
  const customers = resellers.flatMap((r, i) =>
    Array.from({ length: 10 }, (_, j) => add(r, `Customer ${i + 1}.${j + 1}`)),
  );
  const departmentCount = descendants - resellers.length - customers.length;
  const departments = Array.from({ length: departmentCount }, (_, i) =>
    add(customers[i % customers.length] as string, `Department ${i + 1}`),
  );
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < units.length; i += 500) {
      await trx
        .insertInto('business_units')
        .values(units.slice(i, i + 500).map((u) => ({ ...u, created_at: 0, updated_at: 0 })))
        .execute();
    }
    for (let i = 0; i < closure.length; i += 1000) {
      await trx
        .insertInto('bu_closure')
        .values(closure.slice(i, i + 1000))
        .execute();
    }
  });
  return { root, resellers, customers, departments, descendants: units.length - 1 };
}

/** Sets a unit's own `quota.storage` (the tenancy settings table), as the settings API would. */
export async function setQuota(database: Database, buId: string, softBytes: number, hardBytes: number): Promise<void> {
  await database.kysely
    .withTables<{
      bu_settings: {
        bu_id: string;
        key: string;
        value: string;
        locked: number;
        updated_at: number;
        updated_by: string | null;
      };
    }>()
    .insertInto('bu_settings')
    .values({
      bu_id: buId,
      key: 'quota.storage',
      value: JSON.stringify({ softBytes, hardBytes }),
      locked: 0,
      updated_at: 0,
      updated_by: null,
    })
    .execute();
}
