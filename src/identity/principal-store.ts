import type { IdentityDb } from './db.ts';

/** Users (not disabled) and live API keys whose scope is one of `unitIds`. */
export async function listPrincipalsScopedAt(
  db: IdentityDb,
  unitIds: readonly string[],
  now: number,
): Promise<{ kind: 'user' | 'apikey'; id: string; name: string; scopeBuId: string }[]> {
  if (unitIds.length === 0) return [];
  const users = await db
    .selectFrom('users')
    .select(['id', 'display_name', 'bu_id'])
    .where('bu_id', 'in', [...unitIds])
    .where('status', '!=', 'disabled')
    .orderBy('id')
    .execute();
  const keys = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scope_bu_id'])
    .where('scope_bu_id', 'in', [...unitIds])
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('id')
    .execute();
  return [
    ...users.map((u) => ({ kind: 'user' as const, id: u.id, name: u.display_name, scopeBuId: u.bu_id })),
    ...keys.map((k) => ({ kind: 'apikey' as const, id: k.id, name: k.name, scopeBuId: k.scope_bu_id })),
  ];
}

/**
 * What identity keeps at a unit that would block deleting it: users, unrevoked API keys
 * scoped there, custom roles defined there. Revoked keys scoped there are removed first:
 * they can never work again and would otherwise pin the unit forever.
 */
export async function unitOccupancy(
  db: IdentityDb,
  buId: string,
): Promise<{ users: number; apiKeys: number; roles: number }> {
  await db.deleteFrom('api_keys').where('scope_bu_id', '=', buId).where('revoked_at', 'is not', null).execute();
  const count = async (query: Promise<{ n: number | string | bigint } | undefined>) => Number((await query)?.n ?? 0);
  return {
    users: await count(
      db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('bu_id', '=', buId)
        .executeTakeFirst(),
    ),
    apiKeys: await count(
      db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('scope_bu_id', '=', buId)
        .executeTakeFirst(),
    ),
    roles: await count(
      db
        .selectFrom('roles')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('bu_id', '=', buId)
        .executeTakeFirst(),
    ),
  };
}
