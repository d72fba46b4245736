import type { Selectable } from 'kysely';
import type { ProtectionDb } from './db.ts';
import type { RecoveryKeyTable } from './tables.ts';

export type RecoveryKeyRow = Selectable<RecoveryKeyTable>;

/** The current recovery key of the nearest unit on the path from `buId` to the root that has one. */
export async function nearestRecoveryKey(db: ProtectionDb, buId: string): Promise<RecoveryKeyRow | undefined> {
  return db
    .selectFrom('protection_recovery_keys as k')
    .innerJoin('bu_closure as c', 'c.ancestor_id', 'k.bu_id')
    .selectAll('k')
    .where('c.descendant_id', '=', buId)
    .where('k.replaced_at', 'is', null)
    .orderBy('c.depth')
    .limit(1)
    .executeTakeFirst();
}

export async function ownRecoveryKey(db: ProtectionDb, buId: string): Promise<RecoveryKeyRow | undefined> {
  return db
    .selectFrom('protection_recovery_keys')
    .selectAll()
    .where('bu_id', '=', buId)
    .where('replaced_at', 'is', null)
    .executeTakeFirst();
}

export async function findRecoveryKey(db: ProtectionDb, id: string): Promise<RecoveryKeyRow | undefined> {
  return db.selectFrom('protection_recovery_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function replaceRecoveryKey(db: ProtectionDb, row: RecoveryKeyTable, now: number): Promise<void> {
  await db
    .updateTable('protection_recovery_keys')
    .set({ replaced_at: now })
    .where('bu_id', '=', row.bu_id)
    .where('replaced_at', 'is', null)
    .execute();
  await db.insertInto('protection_recovery_keys').values(row).execute();
}

/** Vaults whose recovery secret is wrapped to `keyId`. */
export async function vaultsWrappedTo(
  db: ProtectionDb,
  keyId: string,
): Promise<{ id: string; recovery_envelope: string | null }[]> {
  return db
    .selectFrom('protection_vaults')
    .select(['id', 'recovery_envelope'])
    .where('recovery_key_id', '=', keyId)
    .orderBy('id')
    .execute();
}
