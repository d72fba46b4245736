import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  newId,
  type Principal,
  type RequestContext,
} from '../platform/index.ts';
import { revokeApiKeysOfUser } from './api-key-store.ts';
import { appendAudit } from './audit.ts';
import { InvitationInvalidError, PasswordPolicyError, PrivilegeEscalationError } from './errors.ts';
import {
  consumeInvitation,
  expireInvitationsOfUser,
  findInvitationByTokenHash,
  insertInvitation,
} from './invitation-store.ts';
import { deleteTotp } from './mfa-store.ts';
import { passwordProblems } from './password-policy.ts';
import { hashPassword } from './passwords.ts';
import { liftAccountLockout } from './rate-limit.ts';
import { findRole } from './role-store.ts';
import {
  assertGrantable,
  cleanEmail,
  cleanName,
  decodeCursor,
  encodeCursor,
  principalOf,
  requireRoleUsableAt,
} from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import { deleteSessionsOfUser } from './session-store.ts';
import { identitySettingsAt } from './settings.ts';
import type { CallerMeta } from './sign-in.ts';
import type { UserStatus } from './tables.ts';
import { randomToken, sha256Hex } from './tokens.ts';
import {
  deleteUser as deleteUserRow,
  findUser,
  findUserByEmail,
  findUserInScope,
  insertUser,
  listUsers as listUserRows,
  type UserRow,
  updateUser as updateUserRow,
} from './user-store.ts';
import { type UserView, userView } from './views.ts';

/** Invitation links work for seven days. */
export const invitationLifetimeMs = 7 * 24 * 60 * 60_000;

/** The user, if the caller may do `privilege` on it; NotFound outside the caller's subtree. */
async function reachableUser(
  rt: IdentityRuntime,
  ctx: RequestContext,
  id: string,
  privilege: string,
): Promise<UserRow> {
  const user = await findUserInScope(rt.db, principalOf(ctx).scopeBuId, id);
  if (!user) throw new NotFoundError('User');
  await ctx.access.require(privilege, user.bu_id, 'User');
  return user;
}

/** Managing a user whose role holds privileges the caller lacks would be a way around the grant rule. */
async function assertCanManage(rt: IdentityRuntime, principal: Principal, user: UserRow): Promise<void> {
  if (principal.userId === user.id) throw new ConflictError('You cannot do this to your own account');
  const role = await findRole(rt.db, user.role_id);
  const missing = (role?.privileges ?? []).filter((p) => !principal.privileges.has(p));
  if (missing.length > 0) throw new PrivilegeEscalationError(missing);
}

async function assertEmailFree(rt: IdentityRuntime, email: string, exceptId?: string): Promise<void> {
  const existing = await findUserByEmail(rt.db, email);
  if (existing && existing.id !== exceptId)
    throw new ConflictError(`A user with email ${email} already exists`, { field: 'email' });
}

function summary(user: UserRow): Record<string, unknown> {
  return {
    email: user.email,
    displayName: user.display_name,
    roleId: user.role_id,
    status: user.status,
    buId: user.bu_id,
  };
}

export interface NewUser {
  buId: string;
  email: string;
  displayName: string;
  roleId: string;
}

async function prepareNewUser(rt: IdentityRuntime, ctx: RequestContext, input: NewUser) {
  const principal = principalOf(ctx);
  await ctx.access.require('user.create', input.buId);
  const email = cleanEmail(input.email);
  const displayName = cleanName(input.displayName, 'displayName');
  const role = await requireRoleUsableAt(rt.db, input.roleId, input.buId);
  assertGrantable(principal, role.privileges, 'roleId');
  await assertEmailFree(rt, email);
  return { email, displayName, role };
}

/** Creates an active user with a password set by the caller (changed at first sign-in unless told otherwise). */
export async function createUser(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: NewUser & { password: string; mustChangePassword?: boolean },
): Promise<UserView> {
  const { email, displayName, role } = await prepareNewUser(rt, ctx, input);
  const settings = await identitySettingsAt(rt.db, input.buId);
  const problems = passwordProblems(input.password, settings.passwordPolicy, email);
  if (problems.length > 0) throw new PasswordPolicyError(problems);
  const now = rt.clock.now();
  const row: UserRow = {
    id: newId(now),
    bu_id: input.buId,
    role_id: role.id,
    email,
    display_name: displayName,
    password_hash: await hashPassword(input.password, rt.hashing),
    must_change_password: input.mustChangePassword === false ? 0 : 1,
    status: 'active',
    created_at: now,
    updated_at: now,
  };
  await rt.db.transaction().execute(async (trx) => {
    await insertUser(trx, row);
    await ctx.audit.record(
      { action: 'user.create', buId: row.bu_id, resourceType: 'user', resourceId: row.id, after: summary(row) },
      trx,
    );
  });
  return userView(row);
}

export interface Invitation {
  user: UserView;
  /** Shown once: the token of the one-time link. */
  token: string;
  expiresAt: number;
}

async function newInvitation(rt: IdentityRuntime, trx: IdentityRuntime['db'], user: UserRow, createdBy: string) {
  const now = rt.clock.now();
  const token = randomToken();
  await expireInvitationsOfUser(trx, user.id, now);
  await insertInvitation(trx, {
    id: newId(now),
    user_id: user.id,
    token_hash: sha256Hex(token),
    expires_at: now + invitationLifetimeMs,
    used_at: null,
    created_at: now,
    created_by: createdBy,
  });
  return { token, expiresAt: now + invitationLifetimeMs };
}

/** Creates an invited user (no password yet) and a one-time link that lets them set one. */
export async function inviteUser(rt: IdentityRuntime, ctx: RequestContext, input: NewUser): Promise<Invitation> {
  const principal = principalOf(ctx);
  const { email, displayName, role } = await prepareNewUser(rt, ctx, input);
  const now = rt.clock.now();
  const row: UserRow = {
    id: newId(now),
    bu_id: input.buId,
    role_id: role.id,
    email,
    display_name: displayName,
    password_hash: null,
    must_change_password: 0,
    status: 'invited',
    created_at: now,
    updated_at: now,
  };
  return rt.db.transaction().execute(async (trx) => {
    await insertUser(trx, row);
    const link = await newInvitation(rt, trx, row, principal.userId);
    await ctx.audit.record(
      { action: 'user.invite', buId: row.bu_id, resourceType: 'user', resourceId: row.id, after: summary(row) },
      trx,
    );
    return { user: userView(row), ...link };
  });
}

/** A new link for a user who has not accepted yet; earlier links stop working. */
export async function resendInvitation(rt: IdentityRuntime, ctx: RequestContext, userId: string): Promise<Invitation> {
  const principal = principalOf(ctx);
  const user = await reachableUser(rt, ctx, userId, 'user.create');
  if (user.status !== 'invited') throw new ConflictError('The user has already accepted the invitation');
  return rt.db.transaction().execute(async (trx) => {
    const link = await newInvitation(rt, trx, user, principal.userId);
    await ctx.audit.record({ action: 'user.invite', buId: user.bu_id, resourceType: 'user', resourceId: user.id }, trx);
    return { user: userView(user), ...link };
  });
}

/** Public: the invited person sets a password through the link; the link then stops working. */
export async function acceptInvitation(
  rt: IdentityRuntime,
  meta: CallerMeta,
  input: { token: string; password: string },
): Promise<UserView> {
  const now = rt.clock.now();
  const invitation = await findInvitationByTokenHash(rt.db, sha256Hex(input.token));
  if (!invitation || invitation.used_at !== null || invitation.expires_at <= now) throw new InvitationInvalidError();
  const user = await findUser(rt.db, invitation.user_id);
  if (user?.status !== 'invited') throw new InvitationInvalidError();
  const settings = await identitySettingsAt(rt.db, user.bu_id);
  const problems = passwordProblems(input.password, settings.passwordPolicy, user.email);
  if (problems.length > 0) throw new PasswordPolicyError(problems);
  const hash = await hashPassword(input.password, rt.hashing);
  return rt.db.transaction().execute(async (trx) => {
    if (!(await consumeInvitation(trx, invitation.id, now))) throw new InvitationInvalidError();
    await updateUserRow(trx, user.id, {
      password_hash: hash,
      status: 'active',
      must_change_password: 0,
      updated_at: now,
    });
    await appendAudit(trx, {
      actor: { type: 'user', userId: user.id, keyId: null, name: user.display_name },
      event: { action: 'user.accept_invitation', buId: user.bu_id, resourceType: 'user', resourceId: user.id },
      at: now,
      address: meta.address,
      requestId: meta.requestId,
    });
    return userView({ ...user, status: 'active', updated_at: now });
  });
}

export async function getUser(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<UserView> {
  return userView(await reachableUser(rt, ctx, id, 'user.read'));
}

export async function listUsers(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: {
    buId: string;
    subtree?: boolean;
    status?: UserStatus;
    roleId?: string;
    q?: string;
    limit?: number;
    cursor?: string;
  },
): Promise<{ items: UserView[]; nextCursor: string | null }> {
  await ctx.access.require('user.read', input.buId);
  const limit = input.limit ?? 50;
  const { rows, more } = await listUserRows(rt.db, {
    buId: input.buId,
    subtree: input.subtree ?? true,
    limit,
    ...(input.status ? { status: input.status } : {}),
    ...(input.roleId ? { roleId: input.roleId } : {}),
    ...(input.q ? { search: input.q } : {}),
    ...(input.cursor ? { after: decodeCursor(input.cursor) } : {}),
  });
  const last = rows[rows.length - 1];
  return { items: rows.map(userView), nextCursor: more && last ? encodeCursor(last.id) : null };
}

/** Changes name, email or role; a new role must be usable at the user's unit and within the caller's privileges. */
export async function updateUser(
  rt: IdentityRuntime,
  ctx: RequestContext,
  id: string,
  input: { displayName?: string; email?: string; roleId?: string },
): Promise<UserView> {
  const principal = principalOf(ctx);
  const user = await reachableUser(rt, ctx, id, 'user.update');
  const changes: { display_name?: string; email?: string; role_id?: string } = {};
  if (input.displayName !== undefined) changes.display_name = cleanName(input.displayName, 'displayName');
  if (input.email !== undefined) {
    changes.email = cleanEmail(input.email);
    await assertEmailFree(rt, changes.email, user.id);
  }
  if (input.roleId !== undefined && input.roleId !== user.role_id) {
    if (principal.userId === user.id) throw new ForbiddenError('You cannot change your own role');
    await assertCanManage(rt, principal, user);
    const role = await requireRoleUsableAt(rt.db, input.roleId, user.bu_id);
    assertGrantable(principal, role.privileges, 'roleId');
    changes.role_id = role.id;
  }
  const now = rt.clock.now();
  const updated: UserRow = { ...user, ...changes, updated_at: now };
  await rt.db.transaction().execute(async (trx) => {
    await updateUserRow(trx, user.id, { ...changes, updated_at: now });
    await ctx.audit.record(
      {
        action: 'user.update',
        buId: user.bu_id,
        resourceType: 'user',
        resourceId: user.id,
        before: summary(user),
        after: summary(updated),
      },
      trx,
    );
  });
  return userView(updated);
}

/** Disables the account: all its sessions end and all its API keys are revoked in the same transaction. */
export async function disableUser(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<UserView> {
  const principal = principalOf(ctx);
  const user = await reachableUser(rt, ctx, id, 'user.update');
  await assertCanManage(rt, principal, user);
  if (user.status === 'disabled') return userView(user);
  const now = rt.clock.now();
  await rt.db.transaction().execute(async (trx) => {
    await updateUserRow(trx, user.id, { status: 'disabled', updated_at: now });
    const sessions = await deleteSessionsOfUser(trx, user.id);
    const keys = await revokeApiKeysOfUser(trx, user.id, now);
    await ctx.audit.record(
      {
        action: 'user.disable',
        buId: user.bu_id,
        resourceType: 'user',
        resourceId: user.id,
        before: { status: user.status },
        after: { status: 'disabled', sessionsEnded: sessions, apiKeysRevoked: keys },
      },
      trx,
    );
  });
  return userView({ ...user, status: 'disabled', updated_at: now });
}

/** Re-enables a disabled account (its revoked API keys stay revoked). */
export async function enableUser(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<UserView> {
  const principal = principalOf(ctx);
  const user = await reachableUser(rt, ctx, id, 'user.update');
  await assertCanManage(rt, principal, user);
  if (user.status !== 'disabled') return userView(user);
  const status: UserStatus = user.password_hash ? 'active' : 'invited';
  const now = rt.clock.now();
  await rt.db.transaction().execute(async (trx) => {
    await updateUserRow(trx, user.id, { status, updated_at: now });
    await ctx.audit.record(
      {
        action: 'user.enable',
        buId: user.bu_id,
        resourceType: 'user',
        resourceId: user.id,
        before: { status: 'disabled' },
        after: { status },
      },
      trx,
    );
  });
  return userView({ ...user, status, updated_at: now });
}

/** Deletes the user with its sessions, keys and second factor; audit entries keep its id and name. */
export async function deleteUser(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<void> {
  const principal = principalOf(ctx);
  const user = await reachableUser(rt, ctx, id, 'user.delete');
  await assertCanManage(rt, principal, user);
  await rt.db.transaction().execute(async (trx) => {
    await deleteSessionsOfUser(trx, user.id);
    await deleteUserRow(trx, user.id);
    await ctx.audit.record(
      { action: 'user.delete', buId: user.bu_id, resourceType: 'user', resourceId: user.id, before: summary(user) },
      trx,
    );
  });
}

/** Lifts a sign-in lockout of the account before it ends by time. */
export async function unlockUser(
  rt: IdentityRuntime,
  ctx: RequestContext,
  id: string,
): Promise<{ wasLocked: boolean }> {
  const user = await reachableUser(rt, ctx, id, 'user.update');
  const wasLocked = await liftAccountLockout(rt.db, user.email);
  await ctx.audit.record({
    action: 'user.unlock',
    buId: user.bu_id,
    resourceType: 'user',
    resourceId: user.id,
    after: { wasLocked },
  });
  return { wasLocked };
}

/** Removes a user's TOTP and recovery codes (lost device); they enrol again at next sign-in where MFA is required. */
export async function resetUserMfa(rt: IdentityRuntime, ctx: RequestContext, id: string): Promise<void> {
  const principal = principalOf(ctx);
  const user = await reachableUser(rt, ctx, id, 'user.update');
  await assertCanManage(rt, principal, user);
  await rt.db.transaction().execute(async (trx) => {
    await deleteTotp(trx, user.id);
    await deleteSessionsOfUser(trx, user.id);
    await ctx.audit.record(
      { action: 'user.mfa_reset', buId: user.bu_id, resourceType: 'user', resourceId: user.id },
      trx,
    );
  });
}
