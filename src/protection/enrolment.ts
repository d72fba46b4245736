import { randomBytes } from 'node:crypto';
import { sameDigest, sha256Hex } from '../identity/index.ts';
import { ConflictError, newId, UnauthenticatedError, ValidationError } from '../platform/index.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { protectionDb } from './db.ts';
import { EnrolmentTokenGoneError } from './errors.ts';
import { currentRecoveryKey } from './recovery.ts';
import type { ProtectionRuntime } from './runtime.ts';
import {
  consumeToken,
  findCredentialByHash,
  findDataSource,
  findTokenByHash,
  findVault,
  insertCredential,
  touchCredential,
  updateDataSource,
} from './source-store.ts';
import { type EnrolmentTokenContent, tokenPrefix } from './sources.ts';

/** What an agent learns when it enrols. */
export interface EnrolmentResult {
  readonly dataSourceId: string;
  readonly name: string;
  readonly buId: string;
  /** Bearer credential of the agent; shown once, stored hashed. */
  readonly credential: string;
  readonly vault: { readonly id: string; readonly initialised: boolean; readonly shared: boolean };
  /** Public half of the unit's recovery key the agent wraps the vault key to (null: none set). */
  readonly recoveryKey: { readonly id: string; readonly publicKey: string } | null;
}

const credentialPrefix = 'cfa1_';

/** Reads the secret out of an enrolment token; ValidationError when it is not one. */
export function parseEnrolmentToken(token: string): EnrolmentTokenContent {
  if (!token.startsWith(tokenPrefix)) throw new ValidationError('not a Coffer enrolment token');
  try {
    const content = JSON.parse(Buffer.from(token.slice(tokenPrefix.length), 'base64url').toString('utf8'));
    if (typeof content?.s !== 'string' || content.s.length < 32) throw new Error('no secret');
    return content as EnrolmentTokenContent;
  } catch {
    throw new ValidationError('the enrolment token is damaged');
  }
}

/**
 * Exchanges a one-time enrolment token for an agent credential. Refuses an unknown token
 * (401), a used or expired one (410); a replay racing the first use loses atomically.
 */
export async function enrolAgent(
  rt: ProtectionRuntime,
  input: { token: string; hostname: string; os?: string; agentVersion?: string },
): Promise<EnrolmentResult> {
  const content = parseEnrolmentToken(input.token);
  const db = protectionDb(rt.database);
  const now = rt.clock.now();
  const hash = sha256Hex(content.s);
  const token = await findTokenByHash(db, hash);
  if (!token || !sameDigest(token.token_hash, hash)) throw new UnauthenticatedError('unknown enrolment token');
  if (token.used_at !== null) throw new EnrolmentTokenGoneError('used');
  if (token.expires_at <= now) throw new EnrolmentTokenGoneError('expired');
  const source = await findDataSource(db, token.data_source_id);
  if (!source || source.status === 'retired') throw new EnrolmentTokenGoneError('expired');
  const vault = await findVault(db, source.vault_id);
  if (!vault) throw new ConflictError('the data source has no vault');
  const credential = `${credentialPrefix}${randomBytes(32).toString('base64url')}`;
  await db.transaction().execute(async (trx) => {
    if (!(await consumeToken(trx, token.id, now))) throw new EnrolmentTokenGoneError('used');
    await insertCredential(trx, {
      id: newId(now),
      data_source_id: source.id,
      secret_hash: sha256Hex(credential),
      created_at: now,
      revoked_at: null,
      last_used_at: now,
    });
    await updateDataSource(trx, source.id, {
      status: 'active',
      enrolled_at: now,
      last_seen_at: now,
      os: input.os ?? source.os,
      agent_version: input.agentVersion ?? null,
    });
  });
  const recovery = await currentRecoveryKey(rt.database, source.bu_id);
  return {
    dataSourceId: source.id,
    name: source.name,
    buId: source.bu_id,
    credential,
    vault: { id: vault.id, initialised: vault.initialised_at !== null, shared: vault.shared === 1 },
    recoveryKey: recovery ? { id: recovery.id, publicKey: recovery.public_key } : null,
  };
}

const touchEveryMs = 15_000;

/**
 * Resolves `Authorization: Bearer cfa1_…` to the agent's identity; UnauthenticatedError for
 * anything else (including credentials of retired data sources).
 */
export async function authenticateAgent(
  rt: ProtectionRuntime,
  authorization: string | undefined,
): Promise<AgentIdentity> {
  const match = /^Bearer (cfa1_[A-Za-z0-9_-]{20,})$/.exec(authorization ?? '');
  if (!match) throw new UnauthenticatedError('agent credential required (Authorization: Bearer cfa1_…)');
  const db = protectionDb(rt.database);
  const credential = await findCredentialByHash(db, sha256Hex(match[1]!));
  if (!credential) throw new UnauthenticatedError('unknown or revoked agent credential');
  const source = await findDataSource(db, credential.data_source_id);
  if (!source || source.status === 'retired') throw new UnauthenticatedError('unknown or revoked agent credential');
  const now = rt.clock.now();
  if (credential.last_used_at === null || now - credential.last_used_at > touchEveryMs) {
    await touchCredential(db, credential.id, source.id, now);
  }
  return {
    credentialId: credential.id,
    dataSourceId: source.id,
    buId: source.bu_id,
    vaultId: source.vault_id,
    hostname: source.hostname,
  };
}
