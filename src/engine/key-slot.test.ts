import { describe, expect, it } from 'vitest';
import { WrongPasswordError } from './errors.ts';
import { createKeySlot, decodeKeySlot, encodeKeySlot, type KdfParams, openKeySlot } from './key-slot.ts';
import { newMasterKey } from './keys.ts';
import { deterministicBytes } from './testing/deterministic-bytes.ts';

const cheapArgon: KdfParams = { algorithm: 'argon2id', memoryKiB: 64, iterations: 1, parallelism: 1 };
const cheapScrypt: KdfParams = { algorithm: 'scrypt', n: 1024, r: 8, p: 1 };
const repository = 'ab'.repeat(16);

describe('key slots', () => {
  for (const kdf of [cheapArgon, cheapScrypt]) {
    it(`${kdf.algorithm}: wraps and unwraps the master key, refuses a wrong passphrase`, async () => {
      const master = newMasterKey();
      const slot = decodeKeySlot(
        encodeKeySlot(await createKeySlot(master, repository, { passphrase: 'pässword' }, { kdf })),
      );
      expect(await openKeySlot(slot, { passphrase: 'pässword' })).toEqual(master);
      await expect(openKeySlot(slot, { passphrase: 'password' })).rejects.toBeInstanceOf(WrongPasswordError);
      await expect(openKeySlot(slot, { key: deterministicBytes('k', 32) })).rejects.toBeInstanceOf(WrongPasswordError);
    });
  }

  it('opens a raw-key slot (agent or recovery key) and binds the slot to its repository', async () => {
    const master = newMasterKey();
    const agentKey = deterministicBytes('agent', 32);
    const slot = await createKeySlot(master, repository, { key: agentKey }, { label: 'agent' });
    expect(slot.kdf).toBeUndefined();
    expect(await openKeySlot(slot, { key: agentKey })).toEqual(master);
    await expect(openKeySlot({ ...slot, repository: 'cd'.repeat(16) }, { key: agentKey })).rejects.toBeInstanceOf(
      WrongPasswordError,
    );
  });
});
