import { registerDeletionGuard } from '../tenancy/index.ts';
import type { ProtectionDb } from './db.ts';
import { countUnitDataSources } from './source-store.ts';
import type { ProtectionTables } from './tables.ts';

/** A unit that still owns data sources (not retired) cannot be deleted. */
registerDeletionGuard('protection.data-sources', async (trx, buId) => {
  const db = trx.withTables<ProtectionTables>() as unknown as ProtectionDb;
  const count = await countUnitDataSources(db, buId);
  return count > 0 ? `${count} data source(s) are still assigned to this unit` : null;
});
