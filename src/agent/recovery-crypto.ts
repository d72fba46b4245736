import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  scrypt,
} from 'node:crypto';
import { promisify } from 'node:util';

/**
 * The client-side crypto of unit recovery keys (docs/PROTOCOL.md "Recovery"):
 * - a unit's recovery key is an X25519 pair; its private half is sealed with AES-256-GCM
 *   under scrypt(passphrase) and only ever opened on the administrator's or agent's side;
 * - a vault's recovery secret (the raw key of its recovery key slot) is wrapped to the
 *   public half: ephemeral X25519, HKDF-SHA256, AES-256-GCM with the key ID as AAD.
 */

const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  length: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** The private half sealed under a passphrase (stored by the server, opaque to it). */
export interface SealedPrivateKey {
  readonly version: 1;
  readonly kdf: {
    readonly algorithm: 'scrypt';
    readonly n: number;
    readonly r: number;
    readonly p: number;
    readonly salt: string;
  };
  readonly nonce: string;
  readonly ciphertext: string;
}

/** A vault recovery secret wrapped to a unit's public key. */
export interface RecoveryEnvelope {
  readonly version: 1;
  readonly keyId: string;
  readonly ephemeralPublicKey: string;
  readonly nonce: string;
  readonly ciphertext: string;
}

/** The passphrase does not open the sealed key (or the envelope does not open). */
export class RecoveryKeyError extends Error {}

const defaultScrypt = { n: 1 << 15, r: 8, p: 1 };

function rawPublic(key: ReturnType<typeof createPublicKey>): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x ?? '', 'base64url');
}

function publicKeyObject(raw: Buffer) {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

function privateKeyObject(privateRaw: Buffer, publicRaw: Buffer) {
  return createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', x: publicRaw.toString('base64url'), d: privateRaw.toString('base64url') },
    format: 'jwk',
  });
}

async function passphraseKey(passphrase: string, kdf: SealedPrivateKey['kdf']): Promise<Buffer> {
  return scryptAsync(Buffer.from(passphrase.normalize('NFC'), 'utf8'), Buffer.from(kdf.salt, 'base64'), 32, {
    N: kdf.n,
    r: kdf.r,
    p: kdf.p,
    maxmem: 256 * kdf.n * kdf.r + (1 << 20),
  });
}

/** Makes a unit recovery key pair and seals its private half under `passphrase`. */
export async function createRecoveryKey(
  passphrase: string,
  params: { n: number; r: number; p: number } = defaultScrypt,
): Promise<{ publicKey: string; sealedPrivateKey: SealedPrivateKey }> {
  if (passphrase.length < 12) throw new RecoveryKeyError('the recovery passphrase must have at least 12 characters');
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const publicRaw = rawPublic(publicKey);
  const privateRaw = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  const kdf = { algorithm: 'scrypt' as const, ...params, salt: randomBytes(16).toString('base64') };
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await passphraseKey(passphrase, kdf), nonce);
  cipher.setAAD(publicRaw);
  const ciphertext = Buffer.concat([cipher.update(privateRaw), cipher.final(), cipher.getAuthTag()]);
  return {
    publicKey: publicRaw.toString('base64'),
    sealedPrivateKey: { version: 1, kdf, nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64') },
  };
}

/** Opens the sealed private half; RecoveryKeyError when the passphrase is wrong. */
export async function openRecoveryKey(
  sealed: SealedPrivateKey,
  publicKey: string,
  passphrase: string,
): Promise<Buffer> {
  if (sealed.version !== 1 || sealed.kdf?.algorithm !== 'scrypt')
    throw new RecoveryKeyError('unknown sealed key format');
  const key = await passphraseKey(passphrase, sealed.kdf);
  const data = Buffer.from(sealed.ciphertext, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.nonce, 'base64'));
  decipher.setAAD(Buffer.from(publicKey, 'base64'));
  decipher.setAuthTag(data.subarray(data.byteLength - 16));
  try {
    return Buffer.concat([decipher.update(data.subarray(0, data.byteLength - 16)), decipher.final()]);
  } catch {
    throw new RecoveryKeyError('the recovery passphrase is wrong');
  }
}

function wrapKey(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), 'coffer/v1/recovery-wrap', 32));
}

/** Wraps a 32-byte vault recovery secret to a unit's public key. */
export function wrapRecoverySecret(secret: Uint8Array, publicKey: string, keyId: string): RecoveryEnvelope {
  const recipient = Buffer.from(publicKey, 'base64');
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralRaw = rawPublic(ephemeral.publicKey);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: publicKeyObject(recipient) });
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', wrapKey(shared, ephemeralRaw, recipient), nonce);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final(), cipher.getAuthTag()]);
  return {
    version: 1,
    keyId,
    ephemeralPublicKey: ephemeralRaw.toString('base64'),
    nonce: nonce.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Unwraps a vault recovery secret with the unit's opened private key. */
export function unwrapRecoverySecret(envelope: RecoveryEnvelope, privateKey: Buffer, publicKey: string): Buffer {
  const recipient = Buffer.from(publicKey, 'base64');
  const ephemeral = Buffer.from(envelope.ephemeralPublicKey, 'base64');
  const shared = diffieHellman({
    privateKey: privateKeyObject(privateKey, recipient),
    publicKey: publicKeyObject(ephemeral),
  });
  const data = Buffer.from(envelope.ciphertext, 'base64');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    wrapKey(shared, ephemeral, recipient),
    Buffer.from(envelope.nonce, 'base64'),
  );
  decipher.setAAD(Buffer.from(envelope.keyId, 'utf8'));
  decipher.setAuthTag(data.subarray(data.byteLength - 16));
  try {
    return Buffer.concat([decipher.update(data.subarray(0, data.byteLength - 16)), decipher.final()]);
  } catch {
    throw new RecoveryKeyError('the recovery envelope does not open with this key');
  }
}
