import { hkdfSync, randomBytes } from 'node:crypto';

/** Length of the vault master key and of every derived key (docs/FORMAT.md §3). */
export const keyLength = 32;

/** Keys derived from one vault master key; nothing here is ever stored. */
export interface VaultKeys {
  /** HMAC-SHA256 key of chunk and tree IDs. */
  readonly idKey: Uint8Array;
  /** AES-256-GCM key of every blob. */
  readonly blobKey: Uint8Array;
  /** AES-256-GCM key of snapshot metadata. */
  readonly snapshotKey: Uint8Array;
  /** The 256-entry gear table of the chunker, derived so boundaries differ between vaults. */
  readonly gear: Uint32Array;
}

/** A fresh random vault master key. */
export function newMasterKey(): Uint8Array {
  return new Uint8Array(randomBytes(keyLength));
}

function derive(master: Uint8Array, repositoryId: Uint8Array, label: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', master, repositoryId, `coffer/v1/${label}`, length));
}

/**
 * Derives the vault's subkeys with HKDF-SHA256: salt = the 16-byte repository ID,
 * info = `coffer/v1/<label>` (docs/FORMAT.md §3).
 */
export function deriveVaultKeys(master: Uint8Array, repositoryId: Uint8Array): VaultKeys {
  const gearBytes = derive(master, repositoryId, 'gear', 1024);
  const gear = new Uint32Array(256);
  const view = new DataView(gearBytes.buffer, gearBytes.byteOffset, gearBytes.byteLength);
  for (let i = 0; i < 256; i++) gear[i] = view.getUint32(i * 4, true);
  return {
    idKey: derive(master, repositoryId, 'chunk-id', keyLength),
    blobKey: derive(master, repositoryId, 'blob', keyLength),
    snapshotKey: derive(master, repositoryId, 'snapshot', keyLength),
    gear,
  };
}
