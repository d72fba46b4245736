import type { Selectable } from 'kysely';
import type { ProtectionDb } from './db.ts';
import { type HealthState, healthCondition } from './health.ts';
import type { AgentCredentialTable, DataSourceTable, EnrolmentTokenTable, VaultTable, ZoneTable } from './tables.ts';

/** Queries of zones, vaults, data sources, enrolment tokens and agent credentials. */

export type ZoneRow = Selectable<ZoneTable>;
export type VaultRow = Selectable<VaultTable>;
export type DataSourceRow = Selectable<DataSourceTable>;
export type CredentialRow = Selectable<AgentCredentialTable>;
export type TokenRow = Selectable<EnrolmentTokenTable>;

export async function findZone(db: ProtectionDb, id: string): Promise<ZoneRow | undefined> {
  return db.selectFrom('protection_zones').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Zones usable at a unit: global ones and those of the unit or its ancestors. */
export async function listZonesFor(db: ProtectionDb, buId: string): Promise<ZoneRow[]> {
  return db
    .selectFrom('protection_zones')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('bu_id', 'is', null),
        eb('bu_id', 'in', eb.selectFrom('bu_closure').select('ancestor_id').where('descendant_id', '=', buId)),
      ]),
    )
    .orderBy('created_at')
    .execute();
}

export async function insertZone(db: ProtectionDb, row: ZoneTable): Promise<void> {
  await db.insertInto('protection_zones').values(row).execute();
}

export async function findVault(db: ProtectionDb, id: string): Promise<VaultRow | undefined> {
  return db.selectFrom('protection_vaults').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listVaultIds(db: ProtectionDb): Promise<string[]> {
  return (await db.selectFrom('protection_vaults').select('id').orderBy('id').execute()).map((r) => r.id);
}

export async function listVaultsOfUnit(db: ProtectionDb, buId: string): Promise<VaultRow[]> {
  return db.selectFrom('protection_vaults').selectAll().where('bu_id', '=', buId).orderBy('created_at').execute();
}

export async function insertVault(db: ProtectionDb, row: VaultTable): Promise<void> {
  await db.insertInto('protection_vaults').values(row).execute();
}

export async function markVaultInitialised(
  db: ProtectionDb,
  id: string,
  repositoryId: string,
  packSize: number,
  now: number,
): Promise<void> {
  await db
    .updateTable('protection_vaults')
    .set({ repository_id: repositoryId, pack_size: packSize, initialised_at: now })
    .where('id', '=', id)
    .execute();
}

export async function setVaultRecovery(
  db: ProtectionDb,
  id: string,
  keyId: string | null,
  envelope: string | null,
): Promise<void> {
  await db
    .updateTable('protection_vaults')
    .set({ recovery_key_id: keyId, recovery_envelope: envelope })
    .where('id', '=', id)
    .execute();
}

/**
 * Takes the vault's maintenance lease for `owner` until `until` (when free or expired).
 * Returns false when another owner holds it.
 */
export async function claimMaintenance(
  db: ProtectionDb,
  id: string,
  owner: string,
  now: number,
  until: number,
): Promise<boolean> {
  const result = await db
    .updateTable('protection_vaults')
    .set({ maintenance_owner: owner, maintenance_until: until })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('maintenance_owner', 'is', null),
        eb('maintenance_until', '<', now),
        eb('maintenance_owner', '=', owner),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function releaseMaintenance(db: ProtectionDb, id: string, owner: string): Promise<void> {
  await db
    .updateTable('protection_vaults')
    .set({ maintenance_owner: null, maintenance_until: null })
    .where('id', '=', id)
    .where('maintenance_owner', '=', owner)
    .execute();
}

export async function findDataSource(db: ProtectionDb, id: string): Promise<DataSourceRow | undefined> {
  return db.selectFrom('protection_data_sources').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findDataSourceByName(
  db: ProtectionDb,
  buId: string,
  name: string,
): Promise<DataSourceRow | undefined> {
  return db
    .selectFrom('protection_data_sources')
    .selectAll()
    .where('bu_id', '=', buId)
    .where('name', '=', name)
    .where('status', '!=', 'retired')
    .executeTakeFirst();
}

export async function insertDataSource(db: ProtectionDb, row: DataSourceTable): Promise<void> {
  await db.insertInto('protection_data_sources').values(row).execute();
}

export async function updateDataSource(
  db: ProtectionDb,
  id: string,
  patch: Partial<Omit<DataSourceTable, 'id'>>,
): Promise<void> {
  await db.updateTable('protection_data_sources').set(patch).where('id', '=', id).execute();
}

/** Data sources of the units in `buId`'s subtree (or only `buId` when `subtree` is false). */
export async function listDataSources(
  db: ProtectionDb,
  buId: string,
  options: { subtree: boolean; includeRetired: boolean; limit: number; after?: string; health?: HealthState },
): Promise<DataSourceRow[]> {
  let query = db.selectFrom('protection_data_sources').selectAll();
  query = options.subtree
    ? query.where('bu_id', 'in', db.selectFrom('bu_closure').select('descendant_id').where('ancestor_id', '=', buId))
    : query.where('bu_id', '=', buId);
  if (!options.includeRetired) query = query.where('status', '!=', 'retired');
  if (options.after) query = query.where('id', '>', options.after);
  if (options.health) query = query.where(healthCondition(options.health));
  return query.orderBy('id').limit(options.limit).execute();
}

export async function listActiveDataSourceIds(db: ProtectionDb): Promise<string[]> {
  return (
    await db.selectFrom('protection_data_sources').select('id').where('status', '=', 'active').orderBy('id').execute()
  ).map((r) => r.id);
}

export async function dataSourcesOfVault(db: ProtectionDb, vaultId: string): Promise<DataSourceRow[]> {
  return db.selectFrom('protection_data_sources').selectAll().where('vault_id', '=', vaultId).orderBy('id').execute();
}

export async function countUnitDataSources(db: ProtectionDb, buId: string): Promise<number> {
  const row = await db
    .selectFrom('protection_data_sources')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('bu_id', '=', buId)
    .where('status', '!=', 'retired')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertToken(db: ProtectionDb, row: EnrolmentTokenTable): Promise<void> {
  await db.insertInto('protection_enrolment_tokens').values(row).execute();
}

export async function findTokenByHash(db: ProtectionDb, hash: string): Promise<TokenRow | undefined> {
  return db.selectFrom('protection_enrolment_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

/** Marks the token used; false when it was used meanwhile (a replay racing the first use). */
export async function consumeToken(db: ProtectionDb, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('protection_enrolment_tokens')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertCredential(db: ProtectionDb, row: AgentCredentialTable): Promise<void> {
  await db.insertInto('protection_agent_credentials').values(row).execute();
}

export async function findCredentialByHash(db: ProtectionDb, hash: string): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('protection_agent_credentials')
    .selectAll()
    .where('secret_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function revokeCredentials(db: ProtectionDb, dataSourceId: string, now: number): Promise<void> {
  await db
    .updateTable('protection_agent_credentials')
    .set({ revoked_at: now })
    .where('data_source_id', '=', dataSourceId)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function touchCredential(db: ProtectionDb, id: string, dataSourceId: string, now: number): Promise<void> {
  await db.updateTable('protection_agent_credentials').set({ last_used_at: now }).where('id', '=', id).execute();
  await db.updateTable('protection_data_sources').set({ last_seen_at: now }).where('id', '=', dataSourceId).execute();
}
