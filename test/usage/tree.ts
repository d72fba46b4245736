import { sql } from 'kysely';
import { type Database, newId } from '../../src/platform/index.ts';
import type { UsageTables } from '../../src/usage/index.ts';

/**
 * Test factory for business-unit trees written straight into the tenancy tables (units plus
 * closure rows), so usage and billing tests can build large or random trees fast.
 */
export interface TreeBuilder {
  /** Adds a unit under `parentId` (null: a root) and returns its id. */
  add(parentId: string | null, name?: string): Promise<string>;
  /** Re-links `unitId` (with its subtree) under `newParentId`, as the tenancy move does. */
  move(unitId: string, newParentId: string): Promise<void>;
}

export function treeBuilder(database: Database): TreeBuilder {
  const db = database.kysely.withTables<UsageTables>();
  let counter = 0;
  return {
    async add(parentId, name) {
      counter += 1;
      const id = newId();
      const parentDepth = parentId
        ? (await db.selectFrom('business_units').select('depth').where('id', '=', parentId).executeTakeFirstOrThrow())
            .depth
        : -1;
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('business_units')
          .values({
            id,
            parent_id: parentId,
            name: name ?? `unit ${counter}`,
            code: `u${counter}`,
            depth: parentDepth + 1,
            created_at: 0,
            updated_at: 0,
          })
          .execute();
        await trx.insertInto('bu_closure').values({ ancestor_id: id, descendant_id: id, depth: 0 }).execute();
        if (parentId) {
          await trx
            .insertInto('bu_closure')
            .columns(['ancestor_id', 'descendant_id', 'depth'])
            .expression((eb) =>
              eb
                .selectFrom('bu_closure')
                .select(['ancestor_id', sql<string>`${id}`.as('descendant_id'), sql<number>`depth + 1`.as('depth')])
                .where('descendant_id', '=', parentId),
            )
            .execute();
        }
      });
      return id;
    },
    async move(unitId, newParentId) {
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('bu_closure')
          .where('descendant_id', 'in', (eb) =>
            eb.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', unitId),
          )
          .where('ancestor_id', 'in', (eb) =>
            eb
              .selectFrom('bu_closure')
              .select('ancestor_id')
              .where('descendant_id', '=', unitId)
              .where('depth', '>', 0),
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
        await trx.updateTable('business_units').set({ parent_id: newParentId }).where('id', '=', unitId).execute();
      });
    },
  };
}
