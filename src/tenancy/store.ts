import type { Kysely } from 'kysely';
import { type Database, newId } from '../platform/index.ts';
import type { BusinessUnitTable, TenancyTables } from './tables.ts';

export type BusinessUnitRow = BusinessUnitTable;

function tenancy(database: Database | Kysely<TenancyTables>): Kysely<TenancyTables> {
  return 'kysely' in database ? database.kysely.withTables<TenancyTables>() : database;
}

/** The root units (no parent). An installation normally has exactly one. */
export async function findRootUnits(database: Database): Promise<BusinessUnitRow[]> {
  return tenancy(database).selectFrom('business_units').selectAll().where('parent_id', 'is', null).execute();
}

/** Creates a root unit with its closure self-row. Only the installation bootstrap calls this. */
export async function insertRootUnit(
  trx: Kysely<TenancyTables>,
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
