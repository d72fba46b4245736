import type { RequestContext } from '../platform/index.ts';
import { newId } from '../platform/index.ts';
import { appendAudit, systemActor } from './audit.ts';
import type { SessionStage } from './authenticate.ts';
import type { IdentityDb } from './db.ts';
import { InvalidCredentialsError, InvalidMfaCodeError, PasswordPolicyError, SessionRequiredError } from './errors.ts';
import { hasConfirmedTotp, verifySecondFactor } from './mfa.ts';
import { countChallengeAttempt, deleteChallenge, findChallenge, insertChallenge } from './mfa-store.ts';
import { passwordProblems } from './password-policy.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { assertSignInAllowed, countFailedSignIn, forgetAccountFailures } from './rate-limit.ts';
import { principalOf } from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import {
  deleteSession,
  deleteSessionByTokenHash,
  deleteSessionsOfUser,
  findSession,
  insertSession,
} from './session-store.ts';
import { identitySettingsAt } from './settings.ts';
import { randomToken, sha256Hex } from './tokens.ts';
import { findUser, findUserByEmail, type UserRow, updateUser } from './user-store.ts';

/** Where a public request comes from (no principal yet). */
export interface CallerMeta {
  address: string;
  userAgent: string;
  requestId: string;
}

/** A new session: the cookie values are returned once and stored only as hashes. */
export interface IssuedSession {
  sessionId: string;
  token: string;
  csrfToken: string;
  expiresAt: number;
  user: UserRow;
  stage: SessionStage;
}

export type SignInResult =
  | { kind: 'session'; session: IssuedSession }
  | { kind: 'challenge'; challengeToken: string; expiresAt: number };

/** A challenge (password accepted, code pending) lasts five minutes and allows five tries. */
const challengeLifetimeMs = 5 * 60_000;
const challengeAttempts = 5;

/**
 * Creates a session for `user` with a fresh random id and token (so a session id is never
 * carried across sign-in: no fixation). Lifetime comes from the inherited setting.
 */
export async function issueSession(
  rt: IdentityRuntime,
  db: IdentityDb,
  user: UserRow,
  options: { mfaVerified: boolean; authMethod: string; address: string; userAgent: string },
): Promise<IssuedSession> {
  const now = rt.clock.now();
  const settings = await identitySettingsAt(db, user.bu_id);
  const token = randomToken();
  const csrfToken = randomToken();
  const sessionId = newId(now);
  const expiresAt = now + settings.sessionLifetimeMinutes * 60_000;
  await insertSession(db, {
    id: sessionId,
    token_hash: sha256Hex(token),
    user_id: user.id,
    csrf_hash: sha256Hex(csrfToken),
    auth_method: options.authMethod,
    mfa_verified: options.mfaVerified ? 1 : 0,
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt,
    idle_minutes: settings.sessionIdleMinutes,
    address: options.address,
    user_agent: options.userAgent.slice(0, 300),
  });
  let stage: SessionStage = 'full';
  if (user.must_change_password === 1) stage = 'password';
  else if (!options.mfaVerified && settings.mfaRequired) stage = 'enrol';
  return { sessionId, token, csrfToken, expiresAt, user, stage };
}

let dummyHash: Promise<string> | undefined;

/** Verifies against a fixed hash when the account does not exist, so timing does not reveal it. */
async function spendVerification(rt: IdentityRuntime, password: string): Promise<void> {
  dummyHash ??= hashPassword('not a real password, only spends time', rt.hashing);
  await verifyPassword(await dummyHash, password);
}

/**
 * Password sign-in. Throttled per account and per address; a user with TOTP gets a
 * challenge to answer with {@link completeMfaSignIn}, anyone else a session. A session
 * token presented with the request is ended (sign-in always rotates the session).
 */
export async function signIn(
  rt: IdentityRuntime,
  meta: CallerMeta,
  input: { email: string; password: string; previousSessionToken?: string },
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase();
  const now = rt.clock.now();
  await assertSignInAllowed(rt.db, email, meta.address, now);
  const user = await findUserByEmail(rt.db, email);
  let valid = false;
  if (user?.password_hash && user.status === 'active') valid = await verifyPassword(user.password_hash, input.password);
  else await spendVerification(rt, input.password);
  if (!user || !valid) {
    const locked = await countFailedSignIn(rt.db, email, meta.address, now);
    if (locked && user) {
      await appendAudit(rt.db, {
        actor: systemActor,
        event: { action: 'auth.lockout', buId: user.bu_id, resourceType: 'user', resourceId: user.id },
        at: now,
        address: meta.address,
        requestId: meta.requestId,
      });
    }
    throw new InvalidCredentialsError();
  }
  await forgetAccountFailures(rt.db, email);
  if (input.previousSessionToken) await deleteSessionByTokenHash(rt.db, sha256Hex(input.previousSessionToken));
  if (await hasConfirmedTotp(rt, user.id)) {
    const challengeToken = randomToken();
    const expiresAt = now + challengeLifetimeMs;
    await insertChallenge(rt.db, {
      id: newId(now),
      token_hash: sha256Hex(challengeToken),
      user_id: user.id,
      attempts: 0,
      address: meta.address,
      created_at: now,
      expires_at: expiresAt,
    });
    return { kind: 'challenge', challengeToken, expiresAt };
  }
  return { kind: 'session', session: await startSession(rt, meta, user, false, 'password') };
}

async function startSession(
  rt: IdentityRuntime,
  meta: CallerMeta,
  user: UserRow,
  mfaVerified: boolean,
  method: string,
): Promise<IssuedSession> {
  return rt.db.transaction().execute(async (trx) => {
    const session = await issueSession(rt, trx, user, {
      mfaVerified,
      authMethod: 'password',
      address: meta.address,
      userAgent: meta.userAgent,
    });
    await appendAudit(trx, {
      actor: { type: 'user', userId: user.id, keyId: null, name: user.display_name },
      event: {
        action: 'auth.sign_in',
        buId: user.bu_id,
        resourceType: 'session',
        resourceId: session.sessionId,
        after: { method },
      },
      at: rt.clock.now(),
      address: meta.address,
      requestId: meta.requestId,
    });
    return session;
  });
}

/** Second step of sign-in: a TOTP code or a recovery code answers the challenge. */
export async function completeMfaSignIn(
  rt: IdentityRuntime,
  meta: CallerMeta,
  input: { challengeToken: string; code?: string; recoveryCode?: string },
): Promise<IssuedSession> {
  const now = rt.clock.now();
  const challenge = await findChallenge(rt.db, sha256Hex(input.challengeToken));
  if (!challenge || challenge.expires_at <= now || challenge.attempts >= challengeAttempts) {
    throw new InvalidMfaCodeError('The sign-in challenge is unknown or expired; sign in again');
  }
  const user = await findUser(rt.db, challenge.user_id);
  if (user?.status !== 'active') throw new InvalidCredentialsError();
  await assertSignInAllowed(rt.db, user.email, meta.address, now);
  const method = await verifySecondFactor(rt, user.id, input);
  if (!method) {
    await countChallengeAttempt(rt.db, challenge.id);
    await countFailedSignIn(rt.db, user.email, meta.address, now);
    throw new InvalidMfaCodeError();
  }
  await deleteChallenge(rt.db, challenge.id);
  return startSession(rt, meta, user, true, `password+${method}`);
}

/**
 * Changes the caller's password (the current one is required) under the unit's policy,
 * ends every session of the user and returns a fresh one for this browser.
 */
export async function changePassword(
  rt: IdentityRuntime,
  ctx: RequestContext,
  meta: CallerMeta,
  input: { currentPassword: string; newPassword: string },
): Promise<IssuedSession> {
  const principal = principalOf(ctx);
  if (principal.kind !== 'user') throw new SessionRequiredError();
  const user = await findUser(rt.db, principal.userId);
  const now = rt.clock.now();
  if (!user?.password_hash) throw new InvalidCredentialsError();
  await assertSignInAllowed(rt.db, user.email, meta.address, now);
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
    await countFailedSignIn(rt.db, user.email, meta.address, now);
    throw new InvalidCredentialsError();
  }
  const settings = await identitySettingsAt(rt.db, user.bu_id);
  const problems = passwordProblems(input.newPassword, settings.passwordPolicy, user.email);
  if (input.newPassword === input.currentPassword) problems.push('must differ from the current password');
  if (problems.length > 0) throw new PasswordPolicyError(problems, 'newPassword');
  const hash = await hashPassword(input.newPassword, rt.hashing);
  const current = await findSession(rt.db, principal.credentialId);
  return rt.db.transaction().execute(async (trx) => {
    await updateUser(trx, user.id, { password_hash: hash, must_change_password: 0, updated_at: now });
    await deleteSessionsOfUser(trx, user.id);
    const session = await issueSession(
      rt,
      trx,
      { ...user, password_hash: hash, must_change_password: 0 },
      {
        mfaVerified: current?.mfa_verified === 1,
        authMethod: current?.auth_method ?? 'password',
        address: meta.address,
        userAgent: meta.userAgent,
      },
    );
    await ctx.audit.record(
      { action: 'user.password_change', buId: user.bu_id, resourceType: 'user', resourceId: user.id },
      trx,
    );
    return session;
  });
}

/** Ends the caller's session (API keys have no session: nothing happens). */
export async function signOut(rt: IdentityRuntime, ctx: RequestContext): Promise<void> {
  const principal = principalOf(ctx);
  if (principal.kind === 'user') await deleteSession(rt.db, principal.credentialId);
}
