import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox, loadOrCreateSecretKey } from './secret-box.ts';

describe('secret box', () => {
  it('opens only what it sealed, for the same context', () => {
    const box = createSecretBox(randomBytes(32));
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'totp:user-1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'totp:user-1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => box.open(sealed, 'totp:user-2')).toThrow(/cannot decrypt/);
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'totp:user-1')).toThrow(/cannot decrypt/);
    expect(() => box.open(`${sealed.slice(0, -2)}AA`, 'totp:user-1')).toThrow(/cannot decrypt/);
    expect(() => createSecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });

  it('creates the key file once, private to the owner, and reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-key-'));
    const first = loadOrCreateSecretKey(dir);
    const second = loadOrCreateSecretKey(dir);
    expect(second.equals(first)).toBe(true);
    const path = join(dir, 'secrets', 'identity.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64').equals(first)).toBe(true);
  });
});
