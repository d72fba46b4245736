/** Tables owned by the tenancy module. */
export type TenancyTables = {
  business_units: BusinessUnitTable;
  bu_closure: BuClosureTable;
};

export interface BusinessUnitTable {
  id: string;
  parent_id: string | null;
  name: string;
  code: string | null;
  depth: number;
  created_at: number;
  updated_at: number;
}

/** One row per (ancestor, descendant) pair, including each unit with itself at depth 0. */
export interface BuClosureTable {
  ancestor_id: string;
  descendant_id: string;
  depth: number;
}
