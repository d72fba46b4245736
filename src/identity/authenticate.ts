import type { Principal } from '../platform/index.ts';
import { parseApiKey } from './api-key-format.ts';
import { findApiKeyByPrefix, touchApiKey } from './api-key-store.ts';
import { addressAllowed } from './cidr.ts';
import type { IdentityDb } from './db.ts';
import { CredentialRejectedError } from './errors.ts';
import { intersect, parsePrivileges } from './principal.ts';
import { deleteSession, findSessionByTokenHash, touchSession } from './session-store.ts';
import { mfaRequiredAt } from './settings.ts';
import { sameDigest, sha256Hex } from './tokens.ts';

/**
 * What a session may do right now: `password` (must change its password first), `enrol`
 * (MFA is required and not set up for this session), or `full`.
 */
export type SessionStage = 'password' | 'enrol' | 'full';

export interface Authenticated {
  principal: Principal;
  stage: SessionStage;
  /** Set for cookie sessions: the CSRF token's hash to check unsafe requests against. */
  session: { id: string; csrfHash: string } | null;
}

export type AuthenticationResult =
  | { status: 'anonymous' }
  | { status: 'rejected'; error: CredentialRejectedError }
  | { status: 'ok'; auth: Authenticated };

export interface CredentialInput {
  authorization: string | undefined;
  sessionToken: string | undefined;
  address: string;
  now: number;
}

/** `last_seen_at` is written at most this often per session. */
const touchIntervalMs = 60_000;

/**
 * Resolves the credential of a request: an `Authorization: Bearer` API key wins over a
 * session cookie. Every check runs on every request (user disabled, key revoked or
 * expired, session expired or idle, role no longer usable), so changes take effect at
 * once.
 */
export async function authenticate(db: IdentityDb, input: CredentialInput): Promise<AuthenticationResult> {
  if (input.authorization !== undefined) return authenticateApiKey(db, input);
  if (input.sessionToken) return authenticateSession(db, input.sessionToken, input.now);
  return { status: 'anonymous' };
}

function reject(kind: 'session' | 'apikey', reason: string): AuthenticationResult {
  return { status: 'rejected', error: new CredentialRejectedError(kind, reason) };
}

async function authenticateSession(db: IdentityDb, token: string, now: number): Promise<AuthenticationResult> {
  const found = await findSessionByTokenHash(db, sha256Hex(token));
  if (!found) return reject('session', 'The session has ended; sign in again');
  const { session, user, role, roleUsable } = found;
  const idleEnd = session.last_seen_at + session.idle_minutes * 60_000;
  if (session.expires_at <= now || idleEnd <= now) {
    await deleteSession(db, session.id);
    return reject('session', 'The session has expired; sign in again');
  }
  if (user.status !== 'active') {
    await deleteSession(db, session.id);
    return reject('session', 'The account is disabled');
  }
  const privileges = roleUsable ? parsePrivileges(role.privileges) : new Set<string>();
  let stage: SessionStage = 'full';
  if (user.must_change_password === 1) stage = 'password';
  else if (session.mfa_verified !== 1 && (await mfaRequiredAt(db, user.bu_id))) stage = 'enrol';
  if (now - session.last_seen_at >= touchIntervalMs) await touchSession(db, session.id, now);
  return {
    status: 'ok',
    auth: {
      principal: Object.freeze({
        kind: 'user',
        credentialId: session.id,
        userId: user.id,
        scopeBuId: user.bu_id,
        roleId: user.role_id,
        privileges,
        displayName: user.display_name,
      }),
      stage,
      session: { id: session.id, csrfHash: session.csrf_hash },
    },
  };
}

async function authenticateApiKey(db: IdentityDb, input: CredentialInput): Promise<AuthenticationResult> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(input.authorization ?? '');
  if (!match?.[1]) return reject('apikey', 'The Authorization header must be "Bearer <api key>"');
  const parsed = parseApiKey(match[1]);
  if (!parsed) return reject('apikey', 'The API key is malformed');
  const found = await findApiKeyByPrefix(db, parsed.prefix);
  if (!found || !sameDigest(sha256Hex(parsed.secret), found.key.secret_hash)) {
    return reject('apikey', 'The API key is not valid');
  }
  const { key, user, keyRole, userRole } = found;
  if (key.revoked_at !== null) return reject('apikey', 'The API key has been revoked');
  if (key.expires_at <= input.now) return reject('apikey', 'The API key has expired');
  if (user.status !== 'active') return reject('apikey', "The API key's user is disabled");
  if (!addressAllowed(input.address, JSON.parse(key.allowed_cidrs) as string[])) {
    return reject('apikey', 'The API key may not be used from this address');
  }
  // The key's scope must still lie inside its user's subtree (units move); its privileges
  // are those of its role that the user still holds now.
  if (!found.scopeInsideUser) return reject('apikey', "The API key's scope is no longer inside its user's unit");
  const keyPrivileges = found.keyRoleUsable ? parsePrivileges(keyRole.privileges) : new Set<string>();
  const userPrivileges = found.userRoleUsable ? parsePrivileges(userRole.privileges) : new Set<string>();
  if (key.last_used_at === null || input.now - key.last_used_at >= touchIntervalMs)
    await touchApiKey(db, key.id, input.now);
  return {
    status: 'ok',
    auth: {
      principal: Object.freeze({
        kind: 'apikey',
        credentialId: key.id,
        userId: user.id,
        scopeBuId: key.scope_bu_id,
        roleId: key.role_id,
        privileges: intersect(keyPrivileges, userPrivileges),
        displayName: `${user.display_name} (API key ${key.name})`,
      }),
      stage: 'full',
      session: null,
    },
  };
}
