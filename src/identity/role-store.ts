import type { IdentityDb } from './db.ts';
import type { RoleTable } from './tables.ts';

/** A role as the rest of identity sees it (privileges parsed). */
export interface Role {
  id: string;
  buId: string | null;
  name: string;
  description: string;
  privileges: string[];
  builtin: boolean;
  createdAt: number;
  updatedAt: number;
}

export function toRole(row: RoleTable): Role {
  return {
    id: row.id,
    buId: row.bu_id,
    name: row.name,
    description: row.description,
    privileges: JSON.parse(row.privileges) as string[],
    builtin: row.builtin === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findRole(db: IdentityDb, id: string): Promise<Role | null> {
  const row = await db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRole(row) : null;
}

/** Built-in roles and the custom roles defined in any of `unitIds` (a unit and its ancestors). */
export async function listRolesDefinedIn(db: IdentityDb, unitIds: readonly string[]): Promise<Role[]> {
  const rows = await db
    .selectFrom('roles')
    .selectAll()
    .where((eb) =>
      unitIds.length > 0 ? eb.or([eb('bu_id', 'is', null), eb('bu_id', 'in', [...unitIds])]) : eb('bu_id', 'is', null),
    )
    .orderBy('builtin', 'desc')
    .orderBy('name')
    .execute();
  return rows.map(toRole);
}

/** Custom roles defined anywhere in the subtree of `buId`. */
export async function listRolesInSubtree(db: IdentityDb, buId: string): Promise<Role[]> {
  const rows = await db
    .selectFrom('roles')
    .innerJoin('bu_closure', 'bu_closure.descendant_id', 'roles.bu_id')
    .selectAll('roles')
    .where('bu_closure.ancestor_id', '=', buId)
    .orderBy('roles.name')
    .execute();
  return rows.map(toRole);
}

export async function roleNameTaken(db: IdentityDb, buId: string, name: string, exceptId?: string): Promise<boolean> {
  let query = db
    .selectFrom('roles')
    .select('id')
    .where('bu_id', '=', buId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (exceptId) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function insertRole(db: IdentityDb, role: Role): Promise<void> {
  await db
    .insertInto('roles')
    .values({
      id: role.id,
      bu_id: role.buId,
      name: role.name,
      description: role.description,
      privileges: JSON.stringify(role.privileges),
      builtin: role.builtin ? 1 : 0,
      created_at: role.createdAt,
      updated_at: role.updatedAt,
    })
    .execute();
}

export async function updateRole(
  db: IdentityDb,
  id: string,
  changes: { name: string; description: string; privileges: string[]; updatedAt: number },
): Promise<void> {
  await db
    .updateTable('roles')
    .set({
      name: changes.name,
      description: changes.description,
      privileges: JSON.stringify(changes.privileges),
      updated_at: changes.updatedAt,
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteRole(db: IdentityDb, id: string): Promise<void> {
  await db.deleteFrom('roles').where('id', '=', id).where('builtin', '=', 0).execute();
}

/** How many users and live (unrevoked, unexpired) API keys hold the role (a role in use cannot be deleted). */
export async function roleUsage(db: IdentityDb, id: string, now: number): Promise<{ users: number; apiKeys: number }> {
  const users = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role_id', '=', id)
    .executeTakeFirstOrThrow();
  const keys = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role_id', '=', id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirstOrThrow();
  return { users: Number(users.n), apiKeys: Number(keys.n) };
}
