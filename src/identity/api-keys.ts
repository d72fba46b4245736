import { NotFoundError, newId, type RequestContext, ValidationError } from '../platform/index.ts';
import { newApiKey } from './api-key-format.ts';
import {
  type ApiKeyRow,
  findApiKey,
  findApiKeyInScope,
  insertApiKey,
  listApiKeys as listApiKeyRows,
  revokeApiKey as revokeApiKeyRow,
} from './api-key-store.ts';
import { normaliseCidr } from './cidr.ts';
import { assertGrantable, cleanName, decodeCursor, encodeCursor, principalOf, requireRoleUsableAt } from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import { sha256Hex } from './tokens.ts';
import { type ApiKeyView, apiKeyView } from './views.ts';

const dayMs = 24 * 60 * 60_000;
/** Keys expire: 90 days unless asked otherwise, two years at most. */
export const defaultApiKeyDays = 90;
export const maxApiKeyDays = 730;

export interface NewApiKey {
  name: string;
  /** The subtree the key reaches. */
  buId: string;
  roleId: string;
  /** ISO instant, or use expiresInDays; default 90 days. */
  expiresAt?: string;
  expiresInDays?: number;
  allowedCidrs?: string[];
}

function expiryOf(input: NewApiKey, now: number): number {
  if (input.expiresAt !== undefined && input.expiresInDays !== undefined) {
    throw new ValidationError('Give expiresAt or expiresInDays, not both', { field: 'expiresAt' });
  }
  const at =
    input.expiresAt !== undefined
      ? Date.parse(input.expiresAt)
      : now + (input.expiresInDays ?? defaultApiKeyDays) * dayMs;
  if (!Number.isFinite(at) || at <= now)
    throw new ValidationError('The expiry must lie in the future', { field: 'expiresAt' });
  if (at > now + maxApiKeyDays * dayMs) {
    throw new ValidationError(`API keys expire within ${maxApiKeyDays} days`, { field: 'expiresAt' });
  }
  return at;
}

/**
 * Creates an API key for the caller's user, reaching `buId`'s subtree (inside the caller's
 * own) with a role whose privileges the caller holds. The key is returned once; only the
 * hash of its secret is kept. A key created by another key cannot outlive it.
 */
export async function createApiKey(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: NewApiKey,
): Promise<{ apiKey: ApiKeyView; token: string }> {
  const principal = principalOf(ctx);
  await ctx.access.require('apikey.create', input.buId);
  const name = cleanName(input.name, 'name', 100);
  const role = await requireRoleUsableAt(rt.db, input.roleId, input.buId);
  assertGrantable(principal, role.privileges, 'roleId');
  const now = rt.clock.now();
  let expiresAt = expiryOf(input, now);
  if (principal.kind === 'apikey') {
    const parent = await findApiKey(rt.db, principal.credentialId);
    if (parent && parent.expires_at < expiresAt) expiresAt = parent.expires_at;
  }
  const cidrs = [...new Set((input.allowedCidrs ?? []).map(normaliseCidr))];
  const { prefix, secret, token } = newApiKey();
  const row: ApiKeyRow = {
    id: newId(now),
    prefix,
    secret_hash: sha256Hex(secret),
    user_id: principal.userId,
    name,
    scope_bu_id: input.buId,
    role_id: role.id,
    allowed_cidrs: JSON.stringify(cidrs),
    expires_at: expiresAt,
    revoked_at: null,
    last_used_at: null,
    created_at: now,
    created_by_key_id: principal.kind === 'apikey' ? principal.credentialId : null,
  };
  await rt.db.transaction().execute(async (trx) => {
    await insertApiKey(trx, row);
    await ctx.audit.record(
      {
        action: 'apikey.create',
        buId: input.buId,
        resourceType: 'apikey',
        resourceId: row.id,
        after: {
          name,
          prefix,
          roleId: role.id,
          userId: row.user_id,
          expiresAt: new Date(expiresAt).toISOString(),
          allowedCidrs: cidrs,
        },
      },
      trx,
    );
  });
  return { apiKey: apiKeyView(row, now), token };
}

async function reachableKey(
  rt: IdentityRuntime,
  ctx: RequestContext,
  id: string,
  privilege: string,
): Promise<ApiKeyRow> {
  const key = await findApiKeyInScope(rt.db, principalOf(ctx).scopeBuId, id);
  if (!key) throw new NotFoundError('API key');
  await ctx.access.require(privilege, key.scope_bu_id, 'API key');
  return key;
}

export async function getApiKey(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<ApiKeyView> {
  return apiKeyView(await reachableKey(rt, ctx, id, 'apikey.read'), rt.clock.now());
}

export async function listApiKeys(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: {
    buId: string;
    subtree?: boolean;
    userId?: string;
    includeRevoked?: boolean;
    limit?: number;
    cursor?: string;
  },
): Promise<{ items: ApiKeyView[]; nextCursor: string | null }> {
  await ctx.access.require('apikey.read', input.buId);
  const limit = input.limit ?? 50;
  const { rows, more } = await listApiKeyRows(rt.db, {
    buId: input.buId,
    subtree: input.subtree ?? true,
    includeRevoked: input.includeRevoked ?? false,
    limit,
    ...(input.userId ? { userId: input.userId } : {}),
    ...(input.cursor ? { after: decodeCursor(input.cursor) } : {}),
  });
  const now = rt.clock.now();
  const last = rows[rows.length - 1];
  return { items: rows.map((r) => apiKeyView(r, now)), nextCursor: more && last ? encodeCursor(last.id) : null };
}

/** Revokes a key at once (the next request with it fails); revoking twice is harmless. */
export async function revokeApiKey(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<ApiKeyView> {
  const key = await reachableKey(rt, ctx, id, 'apikey.delete');
  const now = rt.clock.now();
  if (key.revoked_at !== null) return apiKeyView(key, now);
  await rt.db.transaction().execute(async (trx) => {
    await revokeApiKeyRow(trx, key.id, now);
    await ctx.audit.record(
      {
        action: 'apikey.revoke',
        buId: key.scope_bu_id,
        resourceType: 'apikey',
        resourceId: key.id,
        before: { name: key.name, prefix: key.prefix },
      },
      trx,
    );
  });
  return apiKeyView({ ...key, revoked_at: now }, now);
}
