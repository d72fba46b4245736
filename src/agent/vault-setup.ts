import { randomBytes } from 'node:crypto';
import { initRepository, openRepository, type Repository, WrongPasswordError } from '../engine/index.ts';
import { BlobNotFoundError } from '../storage/index.ts';
import type { AgentApi } from './agent-api.ts';
import { type AgentCredentials, agentKeyOf } from './credentials.ts';
import { HttpBlobStore } from './http-blob-store.ts';
import { openRecoveryKey, unwrapRecoverySecret, wrapRecoverySecret } from './recovery-crypto.ts';

/**
 * Adds a recovery key slot to the vault: a fresh random secret opens it, and that secret
 * is wrapped to the unit's recovery public key and recorded on the server. Only the
 * unit's administrators (with the passphrase) can unwrap it.
 */
export async function addRecoverySlot(
  repository: Repository,
  api: AgentApi,
  credentials: AgentCredentials,
  recoveryKey: { id: string; publicKey: string },
): Promise<AgentCredentials> {
  const secret = randomBytes(32);
  await repository.addKeySlot({ key: secret }, { label: `recovery ${recoveryKey.id}` });
  await api.setVaultRecovery(
    credentials.vaultId,
    recoveryKey.id,
    wrapRecoverySecret(secret, recoveryKey.publicKey, recoveryKey.id),
  );
  return { ...credentials, recoveryKeyId: recoveryKey.id };
}

/** The secret of a vault's recovery slot, unwrapped client-side with the unit's passphrase. */
export async function recoverySecret(api: AgentApi, vaultId: string, passphrase: string): Promise<Uint8Array> {
  const recovery = await api.vaultRecovery(vaultId);
  const privateKey = await openRecoveryKey(recovery.sealedPrivateKey, recovery.publicKey, passphrase);
  return unwrapRecoverySecret(recovery.envelope, privateKey, recovery.publicKey);
}

/**
 * Makes sure the agent can open its vault: initialises a new vault (agent key slot, and a
 * recovery slot when the unit has a recovery key), or, for a shared vault another agent
 * set up, opens it through the recovery slot (needs the unit's passphrase) and adds this
 * agent's own slot. Returns the credentials to keep.
 */
export async function setUpVault(
  api: AgentApi,
  credentials: AgentCredentials,
  recoveryKey: { id: string; publicKey: string } | null,
  recoveryPassphrase: string | undefined,
  packSize?: number,
): Promise<AgentCredentials> {
  const store = new HttpBlobStore(api.connection, credentials.vaultId);
  const label = `agent ${credentials.hostname}`;
  // A GET (not HEAD) so that a refusal carries its reason (e.g. a revoked credential).
  const configured = await store.get('config').then(
    () => true,
    (error: unknown) => {
      if (error instanceof BlobNotFoundError) return false;
      throw error;
    },
  );
  if (!configured) {
    const repository = await initRepository(
      store,
      { key: agentKeyOf(credentials) },
      { label, ...(packSize ? { packSize } : {}) },
    );
    return recoveryKey ? addRecoverySlot(repository, api, credentials, recoveryKey) : credentials;
  }
  try {
    await openRepository(store, { key: agentKeyOf(credentials) });
    return credentials;
  } catch (error) {
    if (!(error instanceof WrongPasswordError)) throw error;
  }
  if (!recoveryPassphrase) {
    throw new Error(
      'this vault is shared and already set up by another machine: give the unit recovery passphrase (--recovery-passphrase-file) to join it',
    );
  }
  const repository = await openRepository(store, {
    key: await recoverySecret(api, credentials.vaultId, recoveryPassphrase),
  });
  await repository.addKeySlot({ key: agentKeyOf(credentials) }, { label });
  return { ...credentials, recoveryKeyId: recoveryKey?.id ?? credentials.recoveryKeyId };
}
