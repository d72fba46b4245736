import { sql } from 'kysely';
import type { IdentityDb } from './db.ts';
import type { ApiKeyTable, RoleTable, UserTable } from './tables.ts';

export type ApiKeyRow = ApiKeyTable;

export interface ApiKeyWithOwner {
  key: ApiKeyRow;
  user: Pick<UserTable, 'id' | 'bu_id' | 'role_id' | 'status' | 'display_name' | 'email'>;
  /** The key's own role. */
  keyRole: Pick<RoleTable, 'id' | 'bu_id' | 'privileges'>;
  /** The owner's current role: a key never holds more than its owner does now. */
  userRole: Pick<RoleTable, 'id' | 'bu_id' | 'privileges'>;
  /** The key's scope still lies inside its owner's unit (units move). */
  scopeInsideUser: boolean;
  /** The key's role is usable at its scope, the owner's role at the owner's unit. */
  keyRoleUsable: boolean;
  userRoleUsable: boolean;
}

export async function insertApiKey(db: IdentityDb, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function findApiKey(db: IdentityDb, id: string): Promise<ApiKeyRow | null> {
  return (await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function findApiKeyByPrefix(db: IdentityDb, prefix: string): Promise<ApiKeyWithOwner | null> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .innerJoin('roles as key_role', 'key_role.id', 'api_keys.role_id')
    .innerJoin('roles as user_role', 'user_role.id', 'users.role_id')
    .selectAll('api_keys')
    .select([
      'users.bu_id as u_bu_id',
      'users.role_id as u_role_id',
      'users.status as u_status',
      'users.display_name as u_display_name',
      'users.email as u_email',
      'key_role.bu_id as kr_bu_id',
      'key_role.privileges as kr_privileges',
      'user_role.bu_id as ur_bu_id',
      'user_role.privileges as ur_privileges',
      sql<number>`case when exists (select 1 from bu_closure c where c.ancestor_id = users.bu_id and c.descendant_id = api_keys.scope_bu_id) then 1 else 0 end`.as(
        'scope_inside_user',
      ),
      sql<number>`case when key_role.bu_id is null then 1 when exists (select 1 from bu_closure c where c.ancestor_id = key_role.bu_id and c.descendant_id = api_keys.scope_bu_id) then 1 else 0 end`.as(
        'key_role_usable',
      ),
      sql<number>`case when user_role.bu_id is null then 1 when exists (select 1 from bu_closure c where c.ancestor_id = user_role.bu_id and c.descendant_id = users.bu_id) then 1 else 0 end`.as(
        'user_role_usable',
      ),
    ])
    .where('api_keys.prefix', '=', prefix)
    .executeTakeFirst();
  if (!row) return null;
  const {
    u_bu_id,
    u_role_id,
    u_status,
    u_display_name,
    u_email,
    kr_bu_id,
    kr_privileges,
    ur_bu_id,
    ur_privileges,
    scope_inside_user,
    key_role_usable,
    user_role_usable,
    ...key
  } = row;
  return {
    key,
    user: {
      id: key.user_id,
      bu_id: u_bu_id,
      role_id: u_role_id,
      status: u_status,
      display_name: u_display_name,
      email: u_email,
    },
    keyRole: { id: key.role_id, bu_id: kr_bu_id, privileges: kr_privileges },
    userRole: { id: u_role_id, bu_id: ur_bu_id, privileges: ur_privileges },
    scopeInsideUser: Number(scope_inside_user) === 1,
    keyRoleUsable: Number(key_role_usable) === 1,
    userRoleUsable: Number(user_role_usable) === 1,
  };
}

/** Records use at most once a minute per key, so busy integrations do not write on every call. */
export async function touchApiKey(db: IdentityDb, id: string, now: number): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now - 60_000)]))
    .execute();
}

export async function revokeApiKey(db: IdentityDb, id: string, now: number): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeApiKeysOfUser(db: IdentityDb, userId: string, now: number): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface ApiKeyListFilter {
  buId: string;
  subtree: boolean;
  userId?: string;
  includeRevoked: boolean;
  after?: string;
  limit: number;
}

export async function listApiKeys(
  db: IdentityDb,
  filter: ApiKeyListFilter,
): Promise<{ rows: ApiKeyRow[]; more: boolean }> {
  let query = db.selectFrom('api_keys').selectAll('api_keys');
  if (filter.subtree) {
    query = query
      .innerJoin('bu_closure', 'bu_closure.descendant_id', 'api_keys.scope_bu_id')
      .where('bu_closure.ancestor_id', '=', filter.buId);
  } else {
    query = query.where('api_keys.scope_bu_id', '=', filter.buId);
  }
  if (filter.userId) query = query.where('api_keys.user_id', '=', filter.userId);
  if (!filter.includeRevoked) query = query.where('api_keys.revoked_at', 'is', null);
  if (filter.after) query = query.where('api_keys.id', '>', filter.after);
  const rows = await query
    .orderBy('api_keys.id')
    .limit(filter.limit + 1)
    .execute();
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}

/** Removes revoked and expired keys of a role about to be deleted (they can never work again). */
export async function deleteDeadKeysWithRole(db: IdentityDb, roleId: string, now: number): Promise<void> {
  await db
    .deleteFrom('api_keys')
    .where('role_id', '=', roleId)
    .where((eb) => eb.or([eb('revoked_at', 'is not', null), eb('expires_at', '<=', now)]))
    .execute();
}

/** The key if its scope lies in the subtree of `scopeBuId` (the caller's reach), else null. */
export async function findApiKeyInScope(db: IdentityDb, scopeBuId: string, id: string): Promise<ApiKeyRow | null> {
  return (
    (await db
      .selectFrom('api_keys')
      .innerJoin('bu_closure', 'bu_closure.descendant_id', 'api_keys.scope_bu_id')
      .selectAll('api_keys')
      .where('bu_closure.ancestor_id', '=', scopeBuId)
      .where('api_keys.id', '=', id)
      .executeTakeFirst()) ?? null
  );
}
