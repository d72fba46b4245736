import { ConflictError, newId, type RequestContext, ValidationError } from '../platform/index.ts';
import type { IdentityDb } from './db.ts';
import { InvalidCredentialsError, InvalidMfaCodeError, SessionRequiredError } from './errors.ts';
import {
  claimTotpStep,
  confirmTotp,
  consumeRecoveryCode,
  countUnusedRecoveryCodes,
  deleteTotp,
  findTotp,
  replaceRecoveryCodes,
  saveTotpSecret,
} from './mfa-store.ts';
import { verifyPassword } from './passwords.ts';
import { principalOf } from './rules.ts';
import type { IdentityRuntime } from './runtime.ts';
import { markSessionMfaVerified } from './session-store.ts';
import { mfaRequiredAt } from './settings.ts';
import { hmacHex } from './tokens.ts';
import { matchingStep, newRecoveryCodes, newTotpSecret, normaliseRecoveryCode, otpauthUri, qrCodeSvg } from './totp.ts';
import { findUser, type UserRow } from './user-store.ts';

/** Associated data binding a sealed TOTP secret to its user (a row copied to another user does not open). */
function secretContext(userId: string): string {
  return `totp:${userId}`;
}

function recoveryHash(rt: IdentityRuntime, code: string): string {
  return hmacHex(rt.box.hmacKey, normaliseRecoveryCode(code));
}

/** The signed-in user of a session principal; API keys cannot manage a person's second factor. */
async function sessionUser(rt: IdentityRuntime, ctx: RequestContext): Promise<UserRow> {
  const principal = principalOf(ctx);
  if (principal.kind !== 'user') throw new SessionRequiredError();
  const user = await findUser(rt.db, principal.userId);
  if (!user) throw new InvalidCredentialsError();
  return user;
}

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrCodeSvg: string;
}

/**
 * Starts TOTP enrolment with a new secret (confirmed by the first valid code). Replacing a
 * confirmed secret needs the password, so a borrowed session cannot take over the factor.
 */
export async function startTotpEnrolment(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: { password?: string },
): Promise<TotpEnrolment> {
  const user = await sessionUser(rt, ctx);
  const existing = await findTotp(rt.db, user.id);
  if (existing?.confirmed_at) {
    if (input.password === undefined) {
      throw new ValidationError('TOTP is already set up: send the current password to replace it', {
        field: 'password',
      });
    }
    if (!user.password_hash || !(await verifyPassword(user.password_hash, input.password))) {
      throw new InvalidCredentialsError();
    }
  }
  const secret = newTotpSecret();
  await saveTotpSecret(rt.db, user.id, rt.box.seal(secret, secretContext(user.id)), rt.clock.now());
  const uri = otpauthUri(secret, user.email);
  return { secret, otpauthUri: uri, qrCodeSvg: await qrCodeSvg(uri) };
}

async function issueRecoveryCodes(rt: IdentityRuntime, db: IdentityDb, userId: string): Promise<string[]> {
  const codes = newRecoveryCodes();
  const now = rt.clock.now();
  await replaceRecoveryCodes(
    db,
    userId,
    codes.map((code) => ({ id: newId(now), hash: recoveryHash(rt, code) })),
    now,
  );
  return codes;
}

/** Confirms enrolment with a first valid code; returns the ten recovery codes (shown once). */
export async function confirmTotpEnrolment(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: { code: string },
): Promise<{ recoveryCodes: string[] }> {
  const user = await sessionUser(rt, ctx);
  const totp = await findTotp(rt.db, user.id);
  if (!totp) throw new ConflictError('No TOTP enrolment is in progress: start one first');
  if (totp.confirmed_at !== null) throw new ConflictError('TOTP is already confirmed');
  if (!(await acceptTotpCode(rt, user.id, totp.secret_ciphertext, input.code))) throw new InvalidMfaCodeError();
  return rt.db.transaction().execute(async (trx) => {
    await confirmTotp(trx, user.id, rt.clock.now());
    const codes = await issueRecoveryCodes(rt, trx, user.id);
    await markSessionMfaVerified(trx, principalOf(ctx).credentialId);
    await ctx.audit.record(
      { action: 'user.mfa_enrol', buId: user.bu_id, resourceType: 'user', resourceId: user.id, after: { totp: true } },
      trx,
    );
    return { recoveryCodes: codes };
  });
}

/** Checks a code and consumes its time step (each step once: replays and older codes fail). */
async function acceptTotpCode(rt: IdentityRuntime, userId: string, sealed: string, code: string): Promise<boolean> {
  const now = rt.clock.now();
  const step = matchingStep(rt.box.open(sealed, secretContext(userId)), code.trim(), now);
  return step !== null && claimTotpStep(rt.db, userId, step, now);
}

/**
 * Checks a second factor of a user with confirmed TOTP: a current code or an unused
 * recovery code. Returns the method used, or null when neither matches.
 */
export async function verifySecondFactor(
  rt: IdentityRuntime,
  userId: string,
  input: { code?: string; recoveryCode?: string },
): Promise<'totp' | 'recovery_code' | null> {
  const totp = await findTotp(rt.db, userId);
  if (!totp?.confirmed_at) return null;
  if (input.code !== undefined) {
    return (await acceptTotpCode(rt, userId, totp.secret_ciphertext, input.code)) ? 'totp' : null;
  }
  if (input.recoveryCode !== undefined) {
    const used = await consumeRecoveryCode(rt.db, userId, recoveryHash(rt, input.recoveryCode), rt.clock.now());
    return used ? 'recovery_code' : null;
  }
  return null;
}

export async function hasConfirmedTotp(rt: IdentityRuntime, userId: string): Promise<boolean> {
  return (await findTotp(rt.db, userId))?.confirmed_at != null;
}

/** Turns TOTP off (password required); refused where the unit requires MFA. */
export async function disableTotp(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: { password: string },
): Promise<void> {
  const user = await sessionUser(rt, ctx);
  if (!user.password_hash || !(await verifyPassword(user.password_hash, input.password))) {
    throw new InvalidCredentialsError();
  }
  if (!(await findTotp(rt.db, user.id))) throw new ConflictError('TOTP is not set up');
  if (await mfaRequiredAt(rt.db, user.bu_id)) {
    throw new ConflictError(
      'Multi-factor authentication is required in your business unit; replace the device instead',
    );
  }
  await rt.db.transaction().execute(async (trx) => {
    await deleteTotp(trx, user.id);
    await ctx.audit.record(
      {
        action: 'user.mfa_disable',
        buId: user.bu_id,
        resourceType: 'user',
        resourceId: user.id,
        after: { totp: false },
      },
      trx,
    );
  });
}

/** New recovery codes (the old ones stop working), confirmed by a current TOTP code. */
export async function regenerateRecoveryCodes(
  rt: IdentityRuntime,
  ctx: RequestContext,
  input: { code: string },
): Promise<{ recoveryCodes: string[] }> {
  const user = await sessionUser(rt, ctx);
  if ((await verifySecondFactor(rt, user.id, { code: input.code })) !== 'totp') throw new InvalidMfaCodeError();
  return rt.db.transaction().execute(async (trx) => {
    const codes = await issueRecoveryCodes(rt, trx, user.id);
    await ctx.audit.record(
      { action: 'user.recovery_codes_regenerate', buId: user.bu_id, resourceType: 'user', resourceId: user.id },
      trx,
    );
    return { recoveryCodes: codes };
  });
}

export async function mfaStatus(
  rt: IdentityRuntime,
  user: UserRow,
): Promise<{ enrolled: boolean; required: boolean; recoveryCodesLeft: number }> {
  const [enrolled, required, left] = await Promise.all([
    hasConfirmedTotp(rt, user.id),
    mfaRequiredAt(rt.db, user.bu_id),
    countUnusedRecoveryCodes(rt.db, user.id),
  ]);
  return { enrolled, required, recoveryCodesLeft: left };
}
