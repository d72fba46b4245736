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
