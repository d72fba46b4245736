import { NotFoundError, type RequestContext, UnauthenticatedError } from '../platform/index.ts';
import { brandSummary, effectiveLogo } from '../tenancy/index.ts';
import type { SessionStage } from './authenticate.ts';
import { mfaStatus } from './mfa.ts';
import { principalOf } from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import { deleteSession, listSessionsOfUser } from './session-store.ts';
import { findUser } from './user-store.ts';
import { userView } from './views.ts';

/** The caller: its user, the principal's reach and privileges, the session stage and MFA state. */
export async function describeMe(rt: IdentityRuntime, ctx: RequestContext, stage: SessionStage) {
  const principal = principalOf(ctx);
  const user = await findUser(rt.db, principal.userId);
  if (!user) throw new UnauthenticatedError();
  return {
    user: userView(user),
    principal: {
      kind: principal.kind,
      credentialId: principal.credentialId,
      scopeBuId: principal.scopeBuId,
      roleId: principal.roleId,
      privileges: [...principal.privileges].sort(),
    },
    stage,
    mfa: await mfaStatus(rt, user),
    brand: await ownBrand(rt, user.bu_id),
  };
}

/**
 * The effective brand of the caller's own unit (what the console dresses itself in), for
 * every principal: a role without `bu.read` still sees its own brand.
 */
async function ownBrand(rt: IdentityRuntime, buId: string) {
  const summary = await brandSummary(rt.db, buId);
  return {
    displayName: summary.displayName,
    primaryColor: summary.primaryColor,
    accentColor: summary.accentColor,
    logoUrl: summary.logo ? `/api/v1/me/brand/logo?v=${summary.logo.sha256.slice(0, 16)}` : null,
  };
}

/** The effective logo of the caller's own unit; NotFoundError when no unit on its path has one. */
export async function myLogo(rt: IdentityRuntime, ctx: RequestContext) {
  const principal = principalOf(ctx);
  const user = await findUser(rt.db, principal.userId);
  if (!user) throw new UnauthenticatedError();
  const logo = await effectiveLogo(rt.db, user.bu_id);
  if (!logo) throw new NotFoundError('Logo');
  return logo;
}

export async function listMySessions(rt: IdentityRuntime, ctx: RequestContext) {
  const principal = principalOf(ctx);
  const rows = await listSessionsOfUser(rt.db, principal.userId, rt.clock.now());
  return rows.map((s) => ({
    id: s.id,
    current: principal.kind === 'user' && s.id === principal.credentialId,
    authMethod: s.auth_method,
    address: s.address,
    userAgent: s.user_agent,
    createdAt: new Date(s.created_at).toISOString(),
    lastSeenAt: new Date(s.last_seen_at).toISOString(),
    expiresAt: new Date(s.expires_at).toISOString(),
  }));
}

/** Ends one session of the caller's own user; other users' sessions are not found. */
export async function endMySession(rt: IdentityRuntime, ctx: RequestContext, sessionId: string): Promise<void> {
  const principal = principalOf(ctx);
  const sessions = await listSessionsOfUser(rt.db, principal.userId, rt.clock.now());
  if (!sessions.some((s) => s.id === sessionId)) throw new NotFoundError('Session');
  await deleteSession(rt.db, sessionId);
}
