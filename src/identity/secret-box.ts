import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CofferError } from '../platform/index.ts';

/** Server-side secrets derived from one 32-byte master key (docs/decisions/0006). */
export interface SecretBox {
  /** AES-256-GCM; output `v1.<iv>.<tag>.<ciphertext>` (base64url parts). `context` is bound as associated data. */
  seal(plaintext: string, context: string): string;
  /** Throws if the text was not sealed by this key for this context. */
  open(sealed: string, context: string): string;
  /** Key for HMACs over low-entropy secrets (recovery codes). */
  readonly hmacKey: Uint8Array;
}

export class SecretKeyError extends CofferError {
  constructor(message: string, cause?: unknown) {
    super('secret_key_invalid', message, { cause });
  }
}

function derive(master: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, new Uint8Array(0), info, 32));
}

export function createSecretBox(masterKey: Uint8Array): SecretBox {
  if (masterKey.length !== 32) throw new SecretKeyError('the server secret key must be 32 bytes');
  const encryptionKey = derive(masterKey, 'coffer identity encryption v1');
  const hmacKey = derive(masterKey, 'coffer identity hmac v1');
  return Object.freeze({
    hmacKey,
    seal(plaintext: string, context: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [
        'v1',
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        body.toString('base64url'),
      ].join('.');
    },
    open(sealed: string, context: string): string {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new SecretKeyError('unknown sealed format');
      try {
        const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (error) {
        throw new SecretKeyError('cannot decrypt a stored secret: wrong server key or tampered data', error);
      }
    },
  });
}

/**
 * Reads the 32-byte master key from `<dataDir>/secrets/identity.key` (base64), creating it
 * with mode 0600 on first use. Creation is atomic (write a temporary file, then hard-link it
 * into place), so processes starting together agree on one key. Scale-out deployments share
 * the file (or the data directory) between server processes.
 */
export function loadOrCreateSecretKey(dataDir: string): Buffer {
  const dir = join(dataDir, 'secrets');
  const path = join(dir, 'identity.key');
  try {
    return decodeKey(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.identity.key.${process.pid}.${randomBytes(6).toString('hex')}`);
  writeFileSync(temporary, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  return decodeKey(readFileSync(path, 'utf8'), path);
}

function decodeKey(text: string, path: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new SecretKeyError(`${path} must hold 32 random bytes in base64`);
  return key;
}
