import { NotFoundError, type RequestContext, ValidationError } from '../platform/index.ts';
import { findApiKey, findApiKeyInScope } from './api-key-store.ts';
import { roleUsableAt } from './principal.ts';
import { isPrivilege } from './privileges.ts';
import { findRole, type Role } from './role-store.ts';
import { principalOf } from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import { ancestorIds, unitExists } from './unit-store.ts';
import { findUser, findUserInScope } from './user-store.ts';

export interface RoleCheck {
  id: string;
  name: string;
  definedInBuId: string | null;
  usable: boolean;
  holdsPrivilege: boolean;
}

/** Why a user or API key may or may not do `privilege` on unit `buId`, step by step. */
export interface Explanation {
  allowed: boolean;
  privilege: string;
  buId: string;
  subject: { kind: 'user' | 'apikey'; userId: string; apiKeyId: string | null; scopeBuId: string; active: boolean };
  /** Is the unit inside the subject's scope; `path` runs from the scope down to the unit. */
  subtree: { inScope: boolean; path: string[] };
  /** The role deciding the privilege (the key's role for an API key). */
  role: RoleCheck;
  /** For API keys: the owner's role, which must also hold the privilege. */
  ownerRole: RoleCheck | null;
  reasons: string[];
}

function roleCheck(role: Role | null, path: readonly string[], privilege: string): RoleCheck {
  if (!role) return { id: '', name: '(missing role)', definedInBuId: null, usable: false, holdsPrivilege: false };
  return {
    id: role.id,
    name: role.name,
    definedInBuId: role.buId,
    usable: roleUsableAt(role.buId, path),
    holdsPrivilege: role.privileges.includes(privilege),
  };
}

type Subject = { kind: 'user'; userId: string } | { kind: 'apikey'; apiKeyId: string };

async function explain(rt: IdentityRuntime, subject: Subject, privilege: string, buId: string): Promise<Explanation> {
  if (!isPrivilege(privilege)) throw new ValidationError(`Unknown privilege ${privilege}`, { field: 'privilege' });
  const now = rt.clock.now();
  const key = subject.kind === 'apikey' ? await findApiKey(rt.db, subject.apiKeyId) : null;
  if (subject.kind === 'apikey' && !key) throw new NotFoundError('API key');
  const user = await findUser(rt.db, key ? key.user_id : (subject as { userId: string }).userId);
  if (!user) throw new NotFoundError('User');
  const scopeBuId = key ? key.scope_bu_id : user.bu_id;
  const targetPath = await ancestorIds(rt.db, buId);
  const scopeIndex = targetPath.indexOf(scopeBuId);
  const inScope = scopeIndex >= 0;
  const scopePath = await ancestorIds(rt.db, scopeBuId);
  const reasons: string[] = [];
  let active = user.status === 'active';
  if (!active) reasons.push(`the user's account is ${user.status}`);
  if (key?.revoked_at != null) {
    active = false;
    reasons.push('the API key is revoked');
  } else if (key && key.expires_at <= now) {
    active = false;
    reasons.push('the API key has expired');
  }
  reasons.push(
    inScope
      ? `unit ${buId} lies inside the ${key ? "key's" : "user's"} scope ${scopeBuId}`
      : `unit ${buId} lies outside the ${key ? "key's" : "user's"} scope ${scopeBuId} (it would answer "not found")`,
  );
  const role = roleCheck(await findRole(rt.db, key ? key.role_id : user.role_id), scopePath, privilege);
  reasons.push(
    !role.usable
      ? `role "${role.name}" is not usable at ${scopeBuId} (defined outside its path to the root)`
      : role.holdsPrivilege
        ? `role "${role.name}" grants ${privilege}`
        : `role "${role.name}" does not grant ${privilege}`,
  );
  let ownerRole: RoleCheck | null = null;
  if (key) {
    const userPath = await ancestorIds(rt.db, user.bu_id);
    ownerRole = roleCheck(await findRole(rt.db, user.role_id), userPath, privilege);
    reasons.push(
      ownerRole.usable && ownerRole.holdsPrivilege
        ? `the key's owner still holds ${privilege} through role "${ownerRole.name}"`
        : `the key's owner no longer holds ${privilege} (role "${ownerRole.name}"), so the key does not either`,
    );
    if (!scopePath.includes(user.bu_id)) reasons.push("the key's scope is no longer inside its owner's unit");
  }
  const allowed =
    active &&
    inScope &&
    role.usable &&
    role.holdsPrivilege &&
    (ownerRole === null || (ownerRole.usable && ownerRole.holdsPrivilege && scopePath.includes(user.bu_id)));
  return {
    allowed,
    privilege,
    buId,
    subject: { kind: subject.kind, userId: user.id, apiKeyId: key?.id ?? null, scopeBuId, active },
    subtree: { inScope, path: inScope ? targetPath.slice(0, scopeIndex + 1).reverse() : [] },
    role,
    ownerRole,
    reasons,
  };
}

/** The target unit must exist and lie in the caller's subtree (explanations must not reveal other units). */
async function requireReachableUnit(rt: IdentityRuntime, ctx: RequestContext, buId: string): Promise<void> {
  if (!(await unitExists(rt.db, buId)) || !(await ctx.access.reaches(buId))) throw new NotFoundError('Business unit');
}

/** Explains the caller's own access (any signed-in principal). */
export async function explainSelf(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: { privilege: string; buId: string },
): Promise<Explanation> {
  const principal = principalOf(ctx);
  await requireReachableUnit(rt, ctx, input.buId);
  const subject: Subject =
    principal.kind === 'apikey'
      ? { kind: 'apikey', apiKeyId: principal.credentialId }
      : { kind: 'user', userId: principal.userId };
  return explain(rt, subject, input.privilege, input.buId);
}

/** Explains another user's access; needs `user.read` on that user and reach to the unit asked about. */
export async function explainUser(
  rt: IdentityRuntime,
  ctx: RequestContext,
  userId: string,
  input: { privilege: string; buId: string },
): Promise<Explanation> {
  const user = await findUserInScope(rt.db, principalOf(ctx).scopeBuId, userId);
  if (!user) throw new NotFoundError('User');
  await ctx.access.require('user.read', user.bu_id, 'User');
  await requireReachableUnit(rt, ctx, input.buId);
  return explain(rt, { kind: 'user', userId }, input.privilege, input.buId);
}

/** Explains an API key's access; needs `apikey.read` on the key's scope. */
export async function explainApiKey(
  rt: IdentityRuntime,
  ctx: RequestContext,
  apiKeyId: string,
  input: { privilege: string; buId: string },
): Promise<Explanation> {
  const key = await findApiKeyInScope(rt.db, principalOf(ctx).scopeBuId, apiKeyId);
  if (!key) throw new NotFoundError('API key');
  await ctx.access.require('apikey.read', key.scope_bu_id, 'API key');
  await requireReachableUnit(rt, ctx, input.buId);
  return explain(rt, { kind: 'apikey', apiKeyId }, input.privilege, input.buId);
}
