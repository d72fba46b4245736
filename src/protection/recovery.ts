import {
  ConflictError,
  type Database,
  ForbiddenError,
  NotFoundError,
  newId,
  ValidationError,
} from '../platform/index.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { callerId, type ProtectionContext } from './context.ts';
import { protectionDb } from './db.ts';
import {
  findRecoveryKey,
  nearestRecoveryKey,
  ownRecoveryKey,
  type RecoveryKeyRow,
  replaceRecoveryKey,
  vaultsWrappedTo,
} from './recovery-store.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { agentVault } from './sessions.ts';
import { setVaultRecovery } from './source-store.ts';

/**
 * Unit recovery keys (ARCHITECTURE "Vault keys"): an X25519 pair per unit. Agents wrap
 * each new vault's recovery secret to the public half; the private half is stored only
 * sealed under a passphrase the unit's administrators hold (sealed and opened client-side,
 * src/agent/recovery-crypto.ts), so the server never holds a usable key.
 */

export interface RecoveryKeyView {
  id: string;
  buId: string;
  /** Base64 of the raw 32-byte X25519 public key. */
  publicKey: string;
  /** Passphrase-sealed private key (opaque to the server). */
  sealedPrivateKey: Record<string, unknown>;
  createdAt: string;
}

function view(row: RecoveryKeyRow): RecoveryKeyView {
  return {
    id: row.id,
    buId: row.bu_id,
    publicKey: row.public_key,
    sealedPrivateKey: JSON.parse(row.sealed_private_key) as Record<string, unknown>,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

const base64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Checks the shape of client-made key material; the server cannot check more. */
export function checkPublicKey(publicKey: string): void {
  if (!base64.test(publicKey) || Buffer.from(publicKey, 'base64').byteLength !== 32) {
    throw new ValidationError('publicKey must be the base64 of a raw 32-byte X25519 public key');
  }
}

/** Checks a wrapped-secret envelope: `{ version: 1, keyId, ephemeralPublicKey, nonce, ciphertext }`. */
export function checkEnvelope(envelope: unknown, keyId: string): string {
  const value = envelope as Record<string, unknown> | null;
  if (
    value === null ||
    typeof value !== 'object' ||
    value['version'] !== 1 ||
    value['keyId'] !== keyId ||
    typeof value['ephemeralPublicKey'] !== 'string' ||
    typeof value['nonce'] !== 'string' ||
    typeof value['ciphertext'] !== 'string'
  ) {
    throw new ValidationError(`recovery envelope must be a version 1 envelope wrapped to key ${keyId}`);
  }
  return JSON.stringify(value);
}

/** The recovery key in force for data sources of a unit (its own or the nearest ancestor's). */
export async function currentRecoveryKey(database: Database, buId: string): Promise<RecoveryKeyRow | undefined> {
  return nearestRecoveryKey(protectionDb(database), buId);
}

/** The unit's recovery key in force. Requires `restore.run`. */
export async function getRecoveryKey(ctx: ProtectionContext, buId: string): Promise<RecoveryKeyView> {
  await ctx.access.require('restore.run', buId, 'Business unit');
  const row = await nearestRecoveryKey(protectionDb(ctx.database), buId);
  if (!row) throw new NotFoundError('Recovery key');
  return view(row);
}

/** Envelopes of the vaults wrapped to the unit's own current key (for rotation and restores). Requires `restore.run`. */
export async function listRecoveryEnvelopes(
  ctx: ProtectionContext,
  buId: string,
): Promise<{ keyId: string | null; items: { vaultId: string; envelope: Record<string, unknown> }[] }> {
  await ctx.access.require('restore.run', buId, 'Business unit');
  const db = protectionDb(ctx.database);
  const key = await ownRecoveryKey(db, buId);
  if (!key) return { keyId: null, items: [] };
  const vaults = await vaultsWrappedTo(db, key.id);
  return {
    keyId: key.id,
    items: vaults
      .filter((vault) => vault.recovery_envelope !== null)
      .map((vault) => ({
        vaultId: vault.id,
        envelope: JSON.parse(vault.recovery_envelope!) as Record<string, unknown>,
      })),
  };
}

/**
 * Sets or rotates the unit's recovery key. A rotation must bring every vault wrapped to
 * the old key re-wrapped to the new one (done client-side with the old passphrase), so no
 * vault is left recoverable only by a retired key. Requires `settings.update`.
 */
export async function setRecoveryKey(
  ctx: ProtectionContext,
  buId: string,
  input: {
    /** Chosen by the client when it re-wraps vaults (envelopes are bound to it). */
    keyId?: string;
    publicKey: string;
    sealedPrivateKey: Record<string, unknown>;
    rewrapped?: { vaultId: string; envelope: Record<string, unknown> }[];
  },
): Promise<RecoveryKeyView> {
  await ctx.access.require('settings.update', buId, 'Business unit');
  checkPublicKey(input.publicKey);
  const db = protectionDb(ctx.database);
  const now = ctx.clock.now();
  const id = input.keyId ?? newId(now);
  if (await findRecoveryKey(db, id)) throw new ConflictError(`recovery key ${id} exists already`);
  const previous = await ownRecoveryKey(db, buId);
  const rewrapped = new Map((input.rewrapped ?? []).map((item) => [item.vaultId, checkEnvelope(item.envelope, id)]));
  const stale = previous ? (await vaultsWrappedTo(db, previous.id)).map((vault) => vault.id) : [];
  const missing = stale.filter((vaultId) => !rewrapped.has(vaultId));
  if (missing.length > 0) {
    throw new ValidationError(
      `rotation must re-wrap every vault of the old key; missing ${missing.length} (first: ${missing[0]})`,
      { missingVaults: missing },
    );
  }
  for (const vaultId of rewrapped.keys()) {
    if (!stale.includes(vaultId)) throw new ValidationError(`vault ${vaultId} is not wrapped to this unit's key`);
  }
  const row = {
    id,
    bu_id: buId,
    public_key: input.publicKey,
    sealed_private_key: JSON.stringify(input.sealedPrivateKey),
    created_at: now,
    created_by: callerId(ctx),
    replaced_at: null,
  };
  await db.transaction().execute(async (trx) => {
    await replaceRecoveryKey(trx, row, now);
    for (const [vaultId, envelope] of rewrapped) await setVaultRecovery(trx, vaultId, id, envelope);
    await ctx.audit.record(
      {
        action: previous ? 'recovery_key.rotate' : 'recovery_key.create',
        buId,
        resourceType: 'recovery_key',
        resourceId: id,
        after: { rewrappedVaults: rewrapped.size },
      },
      trx,
    );
  });
  return view(row);
}

/** An agent records its vault's recovery secret wrapped to the unit's current recovery key. */
export async function putVaultRecovery(
  rt: ProtectionRuntime,
  agent: AgentIdentity,
  vaultId: string,
  input: { keyId: string; envelope: Record<string, unknown> },
): Promise<void> {
  const vault = await agentVault(rt, agent, vaultId);
  if (vault.id !== agent.vaultId) throw new ForbiddenError('an agent sets the recovery secret of its own vault only');
  const db = protectionDb(rt.database);
  const key = await nearestRecoveryKey(db, agent.buId);
  if (!key || key.id !== input.keyId) throw new ConflictError('that is not the recovery key in force for this unit');
  if (vault.recovery_key_id !== null && vault.recovery_key_id !== key.id) {
    throw new ConflictError('the vault is already wrapped to another recovery key');
  }
  await setVaultRecovery(db, vault.id, key.id, checkEnvelope(input.envelope, key.id));
}

/** What an agent needs to open a vault through the recovery slot (with the passphrase it holds). */
export async function getVaultRecovery(
  rt: ProtectionRuntime,
  agent: AgentIdentity,
  vaultId: string,
): Promise<{
  keyId: string;
  envelope: Record<string, unknown>;
  publicKey: string;
  sealedPrivateKey: Record<string, unknown>;
}> {
  const vault = await agentVault(rt, agent, vaultId);
  if (!vault.recovery_key_id || !vault.recovery_envelope) throw new NotFoundError('Recovery secret of the vault');
  const key = await findRecoveryKey(protectionDb(rt.database), vault.recovery_key_id);
  if (!key) throw new NotFoundError('Recovery key');
  return {
    keyId: key.id,
    envelope: JSON.parse(vault.recovery_envelope) as Record<string, unknown>,
    publicKey: key.public_key,
    sealedPrivateKey: JSON.parse(key.sealed_private_key) as Record<string, unknown>,
  };
}
