import { sql } from 'kysely';
import { escapeLike, type IdentityDb } from './db.ts';
import type { UserStatus, UserTable } from './tables.ts';

export type UserRow = UserTable;

export async function findUser(db: IdentityDb, id: string): Promise<UserRow | null> {
  return (await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function findUserByEmail(db: IdentityDb, email: string): Promise<UserRow | null> {
  return (await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()) ?? null;
}

export async function insertUser(db: IdentityDb, row: UserRow): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

export async function updateUser(
  db: IdentityDb,
  id: string,
  changes: Partial<
    Pick<UserRow, 'display_name' | 'role_id' | 'email' | 'status' | 'password_hash' | 'must_change_password'>
  > & {
    updated_at: number;
  },
): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

export async function deleteUser(db: IdentityDb, id: string): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}

export interface UserListFilter {
  /** Users of this unit, or of its whole subtree when `subtree`. */
  buId: string;
  subtree: boolean;
  status?: UserStatus;
  roleId?: string;
  /** Case-insensitive substring of email or display name. */
  search?: string;
  /** Return users with ids after this one (ids sort by creation). */
  after?: string;
  limit: number;
}

/** One page of users, ordered by id; `limit + 1` rows are read to know whether more follow. */
export async function listUsers(db: IdentityDb, filter: UserListFilter): Promise<{ rows: UserRow[]; more: boolean }> {
  let query = db.selectFrom('users').selectAll('users');
  if (filter.subtree) {
    query = query
      .innerJoin('bu_closure', 'bu_closure.descendant_id', 'users.bu_id')
      .where('bu_closure.ancestor_id', '=', filter.buId);
  } else {
    query = query.where('users.bu_id', '=', filter.buId);
  }
  if (filter.status) query = query.where('users.status', '=', filter.status);
  if (filter.roleId) query = query.where('users.role_id', '=', filter.roleId);
  if (filter.search) {
    const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
    query = query.where(
      sql<boolean>`(lower(users.email) like ${pattern} escape '\\' or lower(users.display_name) like ${pattern} escape '\\')`,
    );
  }
  if (filter.after) query = query.where('users.id', '>', filter.after);
  const rows = await query
    .orderBy('users.id')
    .limit(filter.limit + 1)
    .execute();
  return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
}

/** The user if it belongs to the subtree of `scopeBuId` (the caller's reach), else null. */
export async function findUserInScope(db: IdentityDb, scopeBuId: string, id: string): Promise<UserRow | null> {
  return (
    (await db
      .selectFrom('users')
      .innerJoin('bu_closure', 'bu_closure.descendant_id', 'users.bu_id')
      .selectAll('users')
      .where('bu_closure.ancestor_id', '=', scopeBuId)
      .where('users.id', '=', id)
      .executeTakeFirst()) ?? null
  );
}
