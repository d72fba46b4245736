import { randomUUID } from 'node:crypto';
import { ServerConnection, ServerError } from './http-client.ts';
import {
  createRecoveryKey,
  openRecoveryKey,
  type RecoveryEnvelope,
  type SealedPrivateKey,
  unwrapRecoverySecret,
  wrapRecoverySecret,
} from './recovery-crypto.ts';

/**
 * Creates or rotates a unit's recovery key through the public API: the key pair is made
 * and sealed here; on rotation every vault wrapped to the old key is unwrapped with the
 * old passphrase and re-wrapped to the new key before the server accepts the change.
 */
export async function setUnitRecoveryKey(options: {
  server: string;
  apiKey: string;
  unitId: string;
  passphrase: string;
  oldPassphrase?: string;
  fingerprint?: string;
}): Promise<{ keyId: string; rewrapped: number }> {
  const connection = new ServerConnection({
    url: options.server,
    credential: options.apiKey,
    ...(options.fingerprint ? { pins: [options.fingerprint] } : {}),
    retryForMs: 10_000,
  });
  try {
    const unit = `/api/v1/business-units/${encodeURIComponent(options.unitId)}`;
    const envelopes = (await connection.request('GET', `${unit}/recovery-envelopes`)).json<{
      keyId: string | null;
      items: { vaultId: string; envelope: RecoveryEnvelope }[];
    }>();
    const next = await createRecoveryKey(options.passphrase);
    // Envelopes are bound to the new key's ID, so this side chooses it.
    const keyId = randomUUID();
    const rewrapped: { vaultId: string; envelope: RecoveryEnvelope }[] = [];
    if (envelopes.keyId && envelopes.items.length > 0) {
      if (!options.oldPassphrase)
        throw new Error('the unit has a recovery key: give --old-passphrase-file to rotate it');
      const current = (await connection.request('GET', `${unit}/recovery-key`)).json<{
        id: string;
        publicKey: string;
        sealedPrivateKey: SealedPrivateKey;
      }>();
      const privateKey = await openRecoveryKey(current.sealedPrivateKey, current.publicKey, options.oldPassphrase);
      for (const item of envelopes.items) {
        const secret = unwrapRecoverySecret(item.envelope, privateKey, current.publicKey);
        rewrapped.push({ vaultId: item.vaultId, envelope: wrapRecoverySecret(secret, next.publicKey, keyId) });
      }
    }
    let response: Awaited<ReturnType<ServerConnection['request']>>;
    try {
      response = await connection.request('PUT', `${unit}/recovery-key`, {
        body: { keyId, publicKey: next.publicKey, sealedPrivateKey: next.sealedPrivateKey, rewrapped },
      });
    } catch (error) {
      if (error instanceof ServerError) throw new Error(`the server refused the recovery key: ${error.message}`);
      throw error;
    }
    const created = response.json<{ id: string }>();
    return { keyId: created.id, rewrapped: rewrapped.length };
  } finally {
    connection.close();
  }
}
