import { effectiveSetting, type TenancyDb } from '../tenancy/index.ts';
import type { IdentityDb } from './db.ts';
import type { PasswordPolicy } from './password-policy.ts';

/** The inherited settings identity reads (tenancy owns the mechanism, definitions and defaults). */
export interface IdentitySettings {
  mfaRequired: boolean;
  passwordPolicy: PasswordPolicy;
  /** Absolute session lifetime. */
  sessionLifetimeMinutes: number;
  /** A session also ends after this long without a request: the lifetime, at most 2 hours. */
  sessionIdleMinutes: number;
}

const maxIdleMinutes = 120;

function tenancy(db: IdentityDb): TenancyDb {
  return db as unknown as TenancyDb;
}

/** Identity's settings in force at `buId`. */
export async function identitySettingsAt(db: IdentityDb, buId: string): Promise<IdentitySettings> {
  const mfa = await effectiveSetting(tenancy(db), buId, 'mfa.required');
  const policy = await effectiveSetting(tenancy(db), buId, 'password.policy');
  const lifetime = await effectiveSetting(tenancy(db), buId, 'session.lifetimeMinutes');
  return {
    mfaRequired: mfa.value === true,
    passwordPolicy: policy.value,
    sessionLifetimeMinutes: lifetime.value,
    sessionIdleMinutes: Math.min(lifetime.value, maxIdleMinutes),
  };
}

/** Only whether MFA is required at `buId` (checked on every request of a session without a second factor). */
export async function mfaRequiredAt(db: IdentityDb, buId: string): Promise<boolean> {
  return (await effectiveSetting(tenancy(db), buId, 'mfa.required')).value === true;
}
