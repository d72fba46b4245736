import type { ReportingDb } from './db.ts';

export interface UserRecipientRow {
  id: string;
  bu_id: string;
  email: string;
  display_name: string;
  status: string;
  privileges: string;
}

/** A user with their role's privileges (JSON text). */
export async function findUserRecipient(db: ReportingDb, userId: string): Promise<UserRecipientRow | undefined> {
  return db
    .selectFrom('users')
    .innerJoin('roles', 'roles.id', 'users.role_id')
    .select(['users.id', 'users.bu_id', 'users.email', 'users.display_name', 'users.status', 'roles.privileges'])
    .where('users.id', '=', userId)
    .executeTakeFirst();
}

/** Users by id with their role's privileges, for checks at send time. */
export async function findUserRecipients(db: ReportingDb, userIds: readonly string[]): Promise<UserRecipientRow[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('users')
    .innerJoin('roles', 'roles.id', 'users.role_id')
    .select(['users.id', 'users.bu_id', 'users.email', 'users.display_name', 'users.status', 'roles.privileges'])
    .where('users.id', 'in', [...userIds])
    .execute();
}

/** True when `unitId` is `ancestorId` or lies below it. */
export async function isWithin(db: ReportingDb, ancestorId: string, unitId: string): Promise<boolean> {
  const row = await db
    .selectFrom('bu_closure')
    .select('depth')
    .where('ancestor_id', '=', ancestorId)
    .where('descendant_id', '=', unitId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The unit, or undefined. */
export async function findUnit(db: ReportingDb, buId: string) {
  return db
    .selectFrom('business_units')
    .select(['id', 'name', 'code', 'parent_id'])
    .where('id', '=', buId)
    .executeTakeFirst();
}

/**
 * Unit names from `fromId` (a subscriber's own unit) down to `toId`, joined by " / ": what a
 * subscriber may be told about where something is, never naming units above their own.
 */
export async function unitPathBetween(db: ReportingDb, fromId: string, toId: string): Promise<string> {
  const rows = await db
    .selectFrom('bu_closure as below')
    .innerJoin('bu_closure as above', 'above.descendant_id', 'below.ancestor_id')
    .innerJoin('business_units as u', 'u.id', 'below.ancestor_id')
    .select(['u.name', 'below.depth'])
    .where('below.descendant_id', '=', toId)
    .where('above.ancestor_id', '=', fromId)
    .orderBy('below.depth', 'desc')
    .execute();
  return rows.map((row) => row.name).join(' / ');
}
