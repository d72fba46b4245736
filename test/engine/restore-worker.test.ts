import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { computeBlobId } from '../../src/engine/blob-id.ts';
import type { BlobLocation } from '../../src/engine/blob-index.ts';
import { compressBlob } from '../../src/engine/compression.ts';
import { blobTypeData, flagCompressed } from '../../src/engine/format.ts';
import { deriveVaultKeys } from '../../src/engine/keys.ts';
import { recordHeaderLength, sealRecord } from '../../src/engine/pack.ts';
import type { FromRestoreWorker, RestoreTask } from '../../src/engine/workers/restore-messages.ts';
import { cleanup, temporaryDirectory } from './helpers.ts';

const keys = deriveVaultKeys(new Uint8Array(32).fill(7), new Uint8Array(16).fill(9));
const text = (word: string) => new TextEncoder().encode(`${word} and more ${word}\n`.repeat(150_000));

/** A record of `plain` (compressed) sealed under `id`, and the location that names it. */
function record(id: Uint8Array, plain: Uint8Array, offset: number): { bytes: Uint8Array; location: BlobLocation } {
  const frame = compressBlob(plain)!;
  const bytes = new Uint8Array(recordHeaderLength + frame.byteLength + 28);
  const length = sealRecord(keys.blobKey, id, blobTypeData, flagCompressed, plain.byteLength, frame, bytes);
  const location = {
    id,
    packId: '00'.repeat(32),
    type: blobTypeData,
    flags: flagCompressed,
    offset,
    plainLength: plain.byteLength,
    storedLength: length - recordHeaderLength,
  } as const;
  return { bytes: bytes.subarray(0, length), location };
}

describe('restore worker', () => {
  const directory = temporaryDirectory('restore-worker');
  afterAll(() => cleanup(directory));

  it('streams large blobs into every destination, and reports a blob whose plaintext is not its ID', async () => {
    // Two blobs of ~2.7 MiB of plaintext (several 1 MiB pieces each): the first is what its ID says, the
    // second was sealed (with the right key, so authentication passes) under another's ID.
    const good = text('good');
    const other = text('evil');
    const first = record(computeBlobId(keys.idKey, good), good, 0);
    const second = record(computeBlobId(keys.idKey, good.slice().reverse()), other, first.bytes.byteLength);
    const range = new Uint8Array(first.bytes.byteLength + second.bytes.byteLength);
    range.set(first.bytes, 0);
    range.set(second.bytes, first.bytes.byteLength);
    const rangeLength = range.byteLength;
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => join(directory, name));
    writeFileSync(c!, 'old content');
    const finish = { size: other.byteLength, mode: 0o640, uid: 0, gid: 0, chown: false, mtime: 1_000_000 };
    const task: RestoreTask = {
      taskId: 1,
      bytes: range,
      rangeOffset: 0,
      blobs: [
        {
          location: first.location,
          destinations: [
            { path: a!, offset: 0, finish: { ...finish, size: good.byteLength } },
            { path: b!, offset: 5 },
            // The file's only blob, followed by a zero run: the worker extends it to its size.
            { path: d!, offset: 0, finish: { ...finish, size: good.byteLength + 70_000 } },
          ],
        },
        { location: second.location, destinations: [{ path: c!, offset: 0, finish }] },
      ],
    };
    const worker = new Worker(new URL('../../src/engine/workers/restore-worker.ts', import.meta.url), {
      workerData: { idKey: keys.idKey, blobKey: keys.blobKey },
    });
    try {
      const reply = await new Promise<FromRestoreWorker>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ kind: 'task', task }, [range.buffer]);
      });
      expect(Buffer.from(readFileSync(a!)).equals(Buffer.from(good))).toBe(true);
      expect(statSync(a!).mode & 0o777).toBe(0o640);
      expect(statSync(a!).mtimeMs).toBe(1_000_000_000);
      expect(Buffer.from(readFileSync(b!).subarray(5)).equals(Buffer.from(good))).toBe(true);
      const extended = readFileSync(d!);
      expect(extended.byteLength).toBe(good.byteLength + 70_000);
      expect(Buffer.from(extended.subarray(0, good.byteLength)).equals(Buffer.from(good))).toBe(true);
      expect(extended.subarray(good.byteLength).every((byte) => byte === 0)).toBe(true);
      expect(reply.bytesWritten).toBe(3 * good.byteLength);
      expect(reply.failures).toEqual([
        { blobId: Buffer.from(second.location.id).toString('hex'), error: 'blob does not match its ID', paths: [c] },
      ]);
      // The failed blob's file got no final metadata from the worker (the main thread finishes it).
      expect(statSync(c!).mode & 0o777).not.toBe(0o640);
      // The range's buffer comes back for the next read.
      expect(reply.buffer.byteLength).toBe(rangeLength);
    } finally {
      await worker.terminate();
    }
  });
});
