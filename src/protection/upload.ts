import {
  CorruptDataError,
  decodeIndexFile,
  packKey,
  readRepositoryConfig,
  verifyPackStructure,
} from '../engine/index.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../platform/index.ts';
import { type BlobInfo, BlobNotFoundError, BlobRangeError, type BlobStore } from '../storage/index.ts';
import type { AgentIdentity } from './agent-identity.ts';
import { protectionDb } from './db.ts';
import { InvalidUploadError } from './errors.ts';
import {
  addSessionBytes,
  findPack,
  findSnapshot,
  forgottenSnapshotIds,
  insertPack,
  listPacks,
  type SessionRow,
} from './index-store.ts';
import { MemoryBlobStore } from './memory-store.ts';
import { listablePrefixes, type ObjectKey, parseObjectKey } from './object-keys.ts';
import type { ProtectionRuntime } from './runtime.ts';
import { markVaultInitialised, type VaultRow } from './source-store.ts';
import { translateStorageError } from './storage-errors.ts';

/** A vault as one agent request reaches it. */
export interface VaultAccess {
  readonly agent: AgentIdentity;
  readonly vault: VaultRow;
  readonly store: BlobStore;
  /** The upload/restore session named by the request, when it named one. */
  readonly session: SessionRow | undefined;
}

const maxKeyFileBytes = 64 * 1024;
const maxLockBytes = 4 * 1024;
const maxConfigBytes = 64 * 1024;

function requireSession(access: VaultAccess, what: string): SessionRow {
  if (!access.session) throw new ValidationError(`${what} needs an upload session (header x-coffer-session)`);
  if (access.session.kind !== 'backup') throw new ForbiddenError('a restore session cannot write to the vault');
  return access.session;
}

async function putChecked(store: BlobStore, key: string, bytes: Uint8Array): Promise<void> {
  try {
    await store.put(key, bytes);
  } catch (error) {
    translateStorageError(error, key);
  }
}

function parseJson(bytes: Uint8Array, what: string, limit: number): Record<string, unknown> {
  if (bytes.byteLength > limit) throw new InvalidUploadError(`${what} is larger than ${limit} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidUploadError(`${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidUploadError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

async function putConfig(rt: ProtectionRuntime, access: VaultAccess, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength > maxConfigBytes) throw new InvalidUploadError('config is too large');
  if (await access.store.head('config')) throw new ConflictError('the vault is already initialised (config exists)');
  let config: Awaited<ReturnType<typeof readRepositoryConfig>>;
  try {
    config = await readRepositoryConfig(new MemoryBlobStore({ config: bytes }));
  } catch (error) {
    throw new InvalidUploadError(`config is not a valid repository config: ${(error as Error).message}`, error);
  }
  if (config.packSize > rt.limits.maxPackBytes) {
    throw new InvalidUploadError(
      `config asks for ${config.packSize}-byte packs; this server accepts packs up to ${rt.limits.maxPackBytes} bytes`,
    );
  }
  await putChecked(access.store, 'config', bytes);
  await markVaultInitialised(protectionDb(rt.database), access.vault.id, config.id, config.packSize, rt.clock.now());
}

async function putKeySlot(access: VaultAccess, id: string, bytes: Uint8Array): Promise<void> {
  const slot = parseJson(bytes, 'key file', maxKeyFileBytes);
  if (slot['version'] !== 1 || slot['id'] !== id || (slot['kind'] !== 'passphrase' && slot['kind'] !== 'key')) {
    throw new InvalidUploadError('key file must be a version 1 key slot whose id matches its name');
  }
  if (typeof slot['wrappedKey'] !== 'string' || !/^[0-9a-f]+$/.test(slot['wrappedKey'])) {
    throw new InvalidUploadError('key file has no wrapped key');
  }
  if (access.vault.repository_id && slot['repository'] !== access.vault.repository_id) {
    throw new InvalidUploadError('key file belongs to another repository');
  }
  if (await access.store.head(`keys/${id}`))
    throw new ConflictError(`key slot ${id} exists; key slots are never replaced`);
  await putChecked(access.store, `keys/${id}`, bytes);
}

/**
 * Accepts a pack: its SHA-256 must equal its name and its header, records and trailer must
 * agree (keyless checks); then it is stored whole in the zone and every blob of its
 * trailer enters the blob index. A retried upload of a stored pack changes nothing.
 */
export async function putPack(
  rt: ProtectionRuntime,
  access: VaultAccess,
  packId: string,
  bytes: Uint8Array,
): Promise<{ packId: string; blobs: number; stored: boolean }> {
  const session = requireSession(access, 'a pack upload');
  const db = protectionDb(rt.database);
  if (bytes.byteLength > rt.limits.maxPackBytes) {
    throw new InvalidUploadError(`pack is larger than ${rt.limits.maxPackBytes} bytes`);
  }
  let structure: ReturnType<typeof verifyPackStructure>;
  try {
    structure = verifyPackStructure(bytes, Buffer.from(packId, 'hex'));
  } catch (error) {
    if (error instanceof CorruptDataError)
      throw new InvalidUploadError(`pack ${packId} refused: ${error.message}`, error);
    throw error;
  }
  if (structure.blobs.length === 0) throw new InvalidUploadError(`pack ${packId} refused: it holds no blobs`);
  if (structure.blobs.some((blob) => blob.type !== structure.type)) {
    throw new InvalidUploadError(`pack ${packId} refused: blob types differ from the pack type`);
  }
  const existing = await findPack(db, access.vault.id, packId);
  if (existing) {
    await addSessionBytes(db, session.id, bytes.byteLength, 0, 0);
    return { packId, blobs: existing.blob_count, stored: false };
  }
  // Object first, index rows second: a crash in between leaves an object that the next
  // upload of the same pack (or maintenance) adopts, never a row without its object.
  await putChecked(access.store, packKey(packId), bytes);
  const now = rt.clock.now();
  const inserted = await db.transaction().execute(async (trx) => {
    const added = await insertPack(
      trx,
      {
        vault_id: access.vault.id,
        pack_id: packId,
        size: bytes.byteLength,
        type: structure.type,
        blob_count: structure.blobs.length,
        created_at: now,
        session_id: session.id,
        state: 'live',
        condemned_at: null,
        verified_at: now,
      },
      structure.blobs.map((blob) => ({
        vault_id: access.vault.id,
        blob_id: Buffer.from(blob.id).toString('hex'),
        pack_id: packId,
        type: blob.type,
        flags: blob.flags,
        pack_offset: blob.offset,
        plain_length: blob.plainLength,
        stored_length: blob.storedLength,
      })),
    );
    await addSessionBytes(trx, session.id, bytes.byteLength, added ? bytes.byteLength : 0, added ? 1 : 0);
    return added;
  });
  return { packId, blobs: structure.blobs.length, stored: inserted };
}

async function putIndex(rt: ProtectionRuntime, access: VaultAccess, id: string, bytes: Uint8Array): Promise<void> {
  const session = requireSession(access, 'an index upload');
  let packs: ReturnType<typeof decodeIndexFile>;
  try {
    packs = decodeIndexFile(bytes, id);
  } catch (error) {
    if (error instanceof CorruptDataError) throw new InvalidUploadError(`index ${id} refused: ${error.message}`, error);
    throw error;
  }
  const db = protectionDb(rt.database);
  for (const pack of packs) {
    const row = await findPack(db, access.vault.id, pack.packId);
    if (!row || row.size !== pack.size) {
      throw new InvalidUploadError(`index ${id} refused: it lists pack ${pack.packId}, which the vault does not hold`);
    }
  }
  await putChecked(access.store, `index/${id}`, bytes);
  await addSessionBytes(db, session.id, bytes.byteLength, bytes.byteLength, 0);
}

async function putLock(access: VaultAccess, id: string, bytes: Uint8Array): Promise<void> {
  const lock = parseJson(bytes, 'lock', maxLockBytes);
  if (lock['version'] !== 1 || typeof lock['exclusive'] !== 'boolean')
    throw new InvalidUploadError('lock is malformed');
  if (lock['exclusive'] === true)
    throw new ForbiddenError('agents take shared locks only; maintenance is the server’s');
  await putChecked(access.store, `locks/${id}`, bytes);
}

/** Writes one object an agent sent (snapshot commits go through `commitSnapshot`). */
export async function putObject(
  rt: ProtectionRuntime,
  access: VaultAccess,
  key: ObjectKey,
  bytes: Uint8Array,
): Promise<void> {
  switch (key.kind) {
    case 'config':
      return putConfig(rt, access, bytes);
    case 'key':
      return putKeySlot(access, key.id, bytes);
    case 'pack':
      await putPack(rt, access, key.id, bytes);
      return;
    case 'index':
      return putIndex(rt, access, key.id, bytes);
    case 'lock':
      return putLock(access, key.id, bytes);
    case 'snapshot':
      throw new Error('snapshot uploads are commits');
  }
}

function storeKey(key: ObjectKey): string {
  switch (key.kind) {
    case 'config':
      return 'config';
    case 'key':
      return `keys/${key.id}`;
    case 'pack':
      return packKey(key.id);
    case 'index':
      return `index/${key.id}`;
    case 'snapshot':
      return `snapshots/${key.id}`;
    case 'lock':
      return `locks/${key.id}`;
  }
}

/** Whether the agent may read this object: packs must be in the index, forgotten snapshots are gone. */
async function visible(rt: ProtectionRuntime, access: VaultAccess, key: ObjectKey): Promise<boolean> {
  const db = protectionDb(rt.database);
  if (key.kind === 'pack') return (await findPack(db, access.vault.id, key.id)) !== undefined;
  if (key.kind === 'snapshot') {
    const row = await findSnapshot(db, access.vault.id, key.id);
    return !row || row.forgotten_at === null;
  }
  return true;
}

/** Reads an object or a byte range; NotFoundError when absent, ValidationError for a bad range. */
export async function getObject(
  rt: ProtectionRuntime,
  access: VaultAccess,
  rawKey: string,
  range?: { offset: number; length?: number },
): Promise<Uint8Array> {
  const key = parseObjectKey(rawKey);
  if (!(await visible(rt, access, key))) throw new NotFoundError(`Object ${rawKey}`);
  try {
    return await access.store.get(storeKey(key), range);
  } catch (error) {
    if (error instanceof BlobNotFoundError) throw new NotFoundError(`Object ${rawKey}`);
    if (error instanceof BlobRangeError) throw new ValidationError(error.message);
    throw error;
  }
}

export async function headObject(
  rt: ProtectionRuntime,
  access: VaultAccess,
  rawKey: string,
): Promise<BlobInfo | undefined> {
  const key = parseObjectKey(rawKey);
  if (!(await visible(rt, access, key))) return undefined;
  const info = await access.store.head(storeKey(key));
  return info ? { key: rawKey, size: info.size } : undefined;
}

/**
 * Lists one of the layout's prefixes. Packs come from the blob index (condemned packs are
 * hidden so no new backup deduplicates against data that is about to go); forgotten
 * snapshots are hidden; the rest is the zone's listing.
 */
export async function listObjects(rt: ProtectionRuntime, access: VaultAccess, prefix: string): Promise<BlobInfo[]> {
  if (!(listablePrefixes as readonly string[]).includes(prefix)) {
    throw new ValidationError(`cannot list ${JSON.stringify(prefix)}; listable: ${listablePrefixes.join(', ')}`);
  }
  const db = protectionDb(rt.database);
  if (prefix === 'data/') {
    return (await listPacks(db, access.vault.id, 'live')).map((pack) => ({
      key: packKey(pack.pack_id),
      size: pack.size,
    }));
  }
  const objects: BlobInfo[] = [];
  for await (const info of access.store.list(prefix)) objects.push(info);
  if (prefix !== 'snapshots/') return objects;
  const forgotten = await forgottenSnapshotIds(db, access.vault.id);
  return objects.filter((info) => !forgotten.has(info.key.slice('snapshots/'.length)));
}

/** Agents may remove their own locks only; data, indexes and snapshots go by retention. */
export async function deleteObject(access: VaultAccess, rawKey: string): Promise<void> {
  const key = parseObjectKey(rawKey);
  if (key.kind !== 'lock')
    throw new ForbiddenError('agents cannot delete vault data; retention on the server does that');
  await access.store.delete(storeKey(key));
}
