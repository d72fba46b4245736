import { CofferError } from '../platform/index.ts';

/**
 * Error codes of the identity module and the HTTP status the shell gives each. The
 * server registers this table once (services never mention HTTP themselves).
 */
export const identityErrorStatuses: Readonly<Record<string, number>> = Object.freeze({
  invalid_credentials: 401,
  session_expired: 401,
  credential_rejected: 401,
  invalid_mfa_code: 401,
  sign_in_throttled: 429,
  account_locked: 429,
  csrf_failed: 403,
  password_change_required: 403,
  mfa_enrolment_required: 403,
  session_required: 403,
  privilege_escalation: 403,
  password_policy: 400,
  invitation_invalid: 410,
});

/** Email or password (or the account's state) does not allow signing in. Deliberately vague. */
export class InvalidCredentialsError extends CofferError {
  constructor() {
    super('invalid_credentials', 'The email address or password is not correct');
  }
}

/** A session cookie or API key was presented but is unknown, expired, revoked or disabled. */
export class CredentialRejectedError extends CofferError {
  constructor(kind: 'session' | 'apikey', reason: string) {
    super(kind === 'session' ? 'session_expired' : 'credential_rejected', reason);
  }
}

export class InvalidMfaCodeError extends CofferError {
  constructor(message = 'The code is not valid (wrong, expired or already used)') {
    super('invalid_mfa_code', message);
  }
}

/** Too many failed sign-ins: the caller must wait until `retryAt`. */
export class SignInThrottledError extends CofferError {
  readonly retryAt: number;
  constructor(retryAt: number, now: number, locked: boolean) {
    const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
    super(
      locked ? 'account_locked' : 'sign_in_throttled',
      locked
        ? `Too many failed sign-ins: locked for ${seconds} s (an administrator can lift the lockout)`
        : `Too many failed sign-ins: try again in ${seconds} s`,
      { details: { retryAfterSeconds: seconds } },
    );
    this.retryAt = retryAt;
  }
}

export class CsrfError extends CofferError {
  constructor() {
    super('csrf_failed', 'Missing or wrong x-csrf-token header (required for cookie sessions on unsafe methods)');
  }
}

/** The session may only change its password, enrol TOTP, read `me` or sign out for now. */
export class SessionRestrictedError extends CofferError {
  constructor(stage: 'password' | 'enrol') {
    super(
      stage === 'password' ? 'password_change_required' : 'mfa_enrolment_required',
      stage === 'password'
        ? 'The password must be changed before anything else (POST /api/v1/auth/change-password)'
        : 'Multi-factor authentication is required here: enrol TOTP first (POST /api/v1/me/totp)',
    );
  }
}

/** The action needs a signed-in person, not an API key (or the other way round). */
export class SessionRequiredError extends CofferError {
  constructor(message = 'This action needs a browser session, not an API key') {
    super('session_required', message);
  }
}

/** A role, key or assignment would grant privileges the caller does not hold itself. */
export class PrivilegeEscalationError extends CofferError {
  /** `field`: the request field that asked for the privileges (e.g. roleId), when one did. */
  constructor(missing: readonly string[], field?: string) {
    super('privilege_escalation', `Cannot grant privileges you do not hold: ${missing.join(', ')}`, {
      details: { missing, ...(field ? { field } : {}) },
    });
  }
}

export class PasswordPolicyError extends CofferError {
  /** `field`: the request field holding the refused password. */
  constructor(problems: readonly string[], field: 'password' | 'newPassword' = 'password') {
    super('password_policy', `The password does not meet the policy: ${problems.join('; ')}`, {
      details: { problems, field },
    });
  }
}

export class InvitationInvalidError extends CofferError {
  constructor() {
    super('invitation_invalid', 'The invitation link is unknown, used or expired; ask for a new one');
  }
}
