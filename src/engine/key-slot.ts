import { hkdfSync, randomBytes, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import type { Algorithm } from '@node-rs/argon2';
import { hashRaw } from '@node-rs/argon2';
import { open, seal } from './aead.ts';
import { fromHex, toHex } from './bytes.ts';
import { CorruptDataError, WrongPasswordError } from './errors.ts';
import { keyLength } from './keys.ts';

const scryptAsync = promisify(scrypt) as (
  password: Uint8Array,
  salt: Uint8Array,
  length: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Key-derivation settings of a passphrase slot (docs/FORMAT.md §3.2). */
export type KdfParams =
  | {
      readonly algorithm: 'argon2id';
      readonly memoryKiB: number;
      readonly iterations: number;
      readonly parallelism: number;
    }
  | { readonly algorithm: 'scrypt'; readonly n: number; readonly r: number; readonly p: number };

/** Default passphrase KDF: argon2id, 64 MiB, 3 passes, 2 lanes (~0.2 s on the reference machine). */
export const defaultKdf: KdfParams = { algorithm: 'argon2id', memoryKiB: 65536, iterations: 3, parallelism: 2 };

/** What unlocks a slot: a passphrase (through a KDF) or a raw 256-bit secret (agent and recovery keys). */
export type SlotSecret = { readonly passphrase: string } | { readonly key: Uint8Array };

/** A decoded key file (`keys/<slot id>`), as stored: JSON, UTF-8. */
export interface KeySlot {
  readonly version: 1;
  readonly id: string;
  readonly repository: string;
  readonly kind: 'passphrase' | 'key';
  readonly label: string;
  readonly createdAt: string;
  readonly kdf: (KdfParams & { readonly salt: string }) | undefined;
  /** Hex of nonce ‖ AES-256-GCM(master key) ‖ tag, AAD = `coffer/v1/key-slot:<repository>:<id>`. */
  readonly wrappedKey: string;
}

function slotAad(repository: string, id: string): Uint8Array {
  return Buffer.from(`coffer/v1/key-slot:${repository}:${id}`, 'utf8');
}

async function deriveKek(secret: SlotSecret, kdf: KeySlot['kdf']): Promise<Uint8Array> {
  if ('key' in secret) {
    if (secret.key.byteLength !== keyLength) throw new WrongPasswordError();
    return new Uint8Array(hkdfSync('sha256', secret.key, new Uint8Array(0), 'coffer/v1/key-slot', keyLength));
  }
  if (!kdf) throw new WrongPasswordError();
  const salt = fromHex(kdf.salt);
  const password = Buffer.from(secret.passphrase.normalize('NFC'), 'utf8');
  if (kdf.algorithm === 'argon2id') {
    const argon2id = 2 as Algorithm;
    return new Uint8Array(
      await hashRaw(password, {
        algorithm: argon2id,
        memoryCost: kdf.memoryKiB,
        timeCost: kdf.iterations,
        parallelism: kdf.parallelism,
        salt,
        outputLen: keyLength,
      }),
    );
  }
  return new Uint8Array(
    await scryptAsync(password, salt, keyLength, {
      N: kdf.n,
      r: kdf.r,
      p: kdf.p,
      maxmem: 256 * kdf.n * kdf.r + (1 << 20),
    }),
  );
}

/** Wraps `master` into a new slot opened by `secret`. */
export async function createKeySlot(
  master: Uint8Array,
  repository: string,
  secret: SlotSecret,
  options: { label?: string; kdf?: KdfParams; now?: Date } = {},
): Promise<KeySlot> {
  const id = toHex(randomBytes(16));
  const kdf = 'passphrase' in secret ? { ...(options.kdf ?? defaultKdf), salt: toHex(randomBytes(16)) } : undefined;
  const kek = await deriveKek(secret, kdf);
  return {
    version: 1,
    id,
    repository,
    kind: 'passphrase' in secret ? 'passphrase' : 'key',
    label: options.label ?? '',
    createdAt: (options.now ?? new Date()).toISOString(),
    kdf,
    wrappedKey: toHex(seal(kek, master, slotAad(repository, id))),
  };
}

/** Unwraps the master key; throws `WrongPasswordError` when `secret` does not open the slot. */
export async function openKeySlot(slot: KeySlot, secret: SlotSecret): Promise<Uint8Array> {
  if ('passphrase' in secret !== (slot.kind === 'passphrase')) throw new WrongPasswordError();
  const kek = await deriveKek(secret, slot.kdf);
  try {
    const master = open(kek, fromHex(slot.wrappedKey), slotAad(slot.repository, slot.id));
    if (master.byteLength !== keyLength) throw new CorruptDataError('wrapped key has the wrong length');
    return master;
  } catch (error) {
    if (error instanceof CorruptDataError) throw new WrongPasswordError();
    throw error;
  }
}

/** Key file bytes. */
export function encodeKeySlot(slot: KeySlot): Uint8Array {
  return Buffer.from(`${JSON.stringify(slot, null, 2)}\n`, 'utf8');
}

const hexPattern = /^[0-9a-f]+$/;

function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CorruptDataError(`key file: ${what} is out of range`);
  }
  return value;
}

function text(value: unknown, what: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length > 4096 || (pattern && !pattern.test(value))) {
    throw new CorruptDataError(`key file: ${what} is malformed`);
  }
  return value;
}

/** Parses and validates key file bytes; throws `CorruptDataError` on anything malformed. */
export function decodeKeySlot(bytes: Uint8Array): KeySlot {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new CorruptDataError('key file is not JSON', { cause: error });
  }
  if (typeof raw !== 'object' || raw === null) throw new CorruptDataError('key file is not an object');
  const record = raw as Record<string, unknown>;
  if (record['version'] !== 1) throw new CorruptDataError('key file has an unknown version');
  const kind = record['kind'];
  if (kind !== 'passphrase' && kind !== 'key') throw new CorruptDataError('key file has an unknown kind');
  let kdf: KeySlot['kdf'];
  if (kind === 'passphrase') {
    const k = record['kdf'];
    if (typeof k !== 'object' || k === null) throw new CorruptDataError('key file lacks its KDF');
    const params = k as Record<string, unknown>;
    const salt = text(params['salt'], 'kdf.salt', /^[0-9a-f]{32,128}$/);
    if (params['algorithm'] === 'argon2id') {
      kdf = {
        algorithm: 'argon2id',
        memoryKiB: integer(params['memoryKiB'], 'kdf.memoryKiB', 8, 4 * 1024 * 1024),
        iterations: integer(params['iterations'], 'kdf.iterations', 1, 100),
        parallelism: integer(params['parallelism'], 'kdf.parallelism', 1, 16),
        salt,
      };
      if (kdf.memoryKiB < 8 * kdf.parallelism) throw new CorruptDataError('key file: kdf.memoryKiB is too small');
    } else if (params['algorithm'] === 'scrypt') {
      const n = integer(params['n'], 'kdf.n', 2, 1 << 22);
      if ((n & (n - 1)) !== 0) throw new CorruptDataError('key file: kdf.n is not a power of two');
      kdf = {
        algorithm: 'scrypt',
        n,
        r: integer(params['r'], 'kdf.r', 1, 32),
        p: integer(params['p'], 'kdf.p', 1, 16),
        salt,
      };
    } else {
      throw new CorruptDataError('key file has an unknown KDF');
    }
  }
  return {
    version: 1,
    id: text(record['id'], 'id', /^[0-9a-f]{32}$/),
    repository: text(record['repository'], 'repository', /^[0-9a-f]{32}$/),
    kind,
    label: text(record['label'], 'label'),
    createdAt: text(record['createdAt'], 'createdAt'),
    kdf,
    wrappedKey: text(record['wrappedKey'], 'wrappedKey', hexPattern),
  };
}
