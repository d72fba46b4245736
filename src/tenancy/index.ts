// Public entry of the tenancy module: the business-unit tree.
export { type BusinessUnitRow, findRootUnits, insertRootUnit } from './store.ts';
export type { BuClosureTable, BusinessUnitTable, TenancyTables } from './tables.ts';
