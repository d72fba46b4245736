import { sql } from 'kysely';
import type { IdentityDb } from './db.ts';
import type { RoleTable, SessionTable, UserTable } from './tables.ts';

export type SessionRow = SessionTable;

/** A session joined with its user and the user's role: what authenticating a request needs. */
export interface SessionWithUser {
  session: SessionRow;
  user: UserTable;
  role: RoleTable;
  /** The role is built in or defined at the user's unit or an ancestor (units move). */
  roleUsable: boolean;
}

export async function insertSession(db: IdentityDb, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findSessionByTokenHash(db: IdentityDb, tokenHash: string): Promise<SessionWithUser | null> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .innerJoin('roles', 'roles.id', 'users.role_id')
    .selectAll('sessions')
    .select([
      'users.bu_id as u_bu_id',
      'users.role_id as u_role_id',
      'users.email as u_email',
      'users.display_name as u_display_name',
      'users.password_hash as u_password_hash',
      'users.must_change_password as u_must_change_password',
      'users.status as u_status',
      'users.created_at as u_created_at',
      'users.updated_at as u_updated_at',
      'roles.bu_id as r_bu_id',
      'roles.name as r_name',
      'roles.description as r_description',
      'roles.privileges as r_privileges',
      'roles.builtin as r_builtin',
      'roles.created_at as r_created_at',
      'roles.updated_at as r_updated_at',
      sql<number>`case when roles.bu_id is null then 1 when exists (select 1 from bu_closure c where c.ancestor_id = roles.bu_id and c.descendant_id = users.bu_id) then 1 else 0 end`.as(
        'role_usable',
      ),
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return null;
  return {
    session: {
      id: row.id,
      token_hash: row.token_hash,
      user_id: row.user_id,
      csrf_hash: row.csrf_hash,
      auth_method: row.auth_method,
      mfa_verified: row.mfa_verified,
      created_at: row.created_at,
      last_seen_at: row.last_seen_at,
      expires_at: row.expires_at,
      idle_minutes: row.idle_minutes,
      address: row.address,
      user_agent: row.user_agent,
    },
    user: {
      id: row.user_id,
      bu_id: row.u_bu_id,
      role_id: row.u_role_id,
      email: row.u_email,
      display_name: row.u_display_name,
      password_hash: row.u_password_hash,
      must_change_password: row.u_must_change_password,
      status: row.u_status,
      created_at: row.u_created_at,
      updated_at: row.u_updated_at,
    },
    role: {
      id: row.u_role_id,
      bu_id: row.r_bu_id,
      name: row.r_name,
      description: row.r_description,
      privileges: row.r_privileges,
      builtin: row.r_builtin,
      created_at: row.r_created_at,
      updated_at: row.r_updated_at,
    },
    roleUsable: Number(row.role_usable) === 1,
  };
}

export async function touchSession(db: IdentityDb, id: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function deleteSession(db: IdentityDb, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', id).execute();
}

/** Ends every session of the user except `keepId`; returns how many ended. */
export async function deleteSessionsOfUser(db: IdentityDb, userId: string, keepId?: string): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepId) query = query.where('id', '!=', keepId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function listSessionsOfUser(db: IdentityDb, userId: string, now: number): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .execute();
}

/** Removes sessions past their absolute or idle end and expired sign-in challenges; returns how many. */
export async function deleteExpiredSessions(
  db: IdentityDb,
  now: number,
): Promise<{ sessions: number; challenges: number }> {
  const sessions = await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([eb('expires_at', '<=', now), eb(sql<number>`last_seen_at + idle_minutes * 60000`, '<=', now)]),
    )
    .executeTakeFirst();
  const challenges = await db.deleteFrom('sign_in_challenges').where('expires_at', '<=', now).executeTakeFirst();
  return { sessions: Number(sessions.numDeletedRows), challenges: Number(challenges.numDeletedRows) };
}

export async function findSession(db: IdentityDb, id: string): Promise<SessionRow | null> {
  return (await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function markSessionMfaVerified(db: IdentityDb, id: string): Promise<void> {
  await db.updateTable('sessions').set({ mfa_verified: 1 }).where('id', '=', id).execute();
}

export async function deleteSessionByTokenHash(db: IdentityDb, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}
