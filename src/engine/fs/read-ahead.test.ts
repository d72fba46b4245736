import { describe, expect, it } from 'vitest';
import { ReadAhead, type ReadAheadFs } from './read-ahead.ts';

/** An opener that records the order of reads and how many were in flight at once. */
function recordingOpener() {
  const read: string[] = [];
  let inFlight = 0;
  let most = 0;
  const release: (() => void)[] = [];
  const fs: ReadAheadFs = {
    open: (path, _flags, callback) => {
      if (path.includes('missing')) {
        setImmediate(() => callback(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), -1));
        return;
      }
      inFlight++;
      most = Math.max(most, inFlight);
      release.push(() => {
        read.push(path);
        callback(null, 3);
      });
    },
    read: (_fd, _buffer, _offset, _length, _position, callback) => setImmediate(() => callback(null)),
    close: (_fd, callback) => {
      inFlight--;
      setImmediate(() => callback(null));
    },
  };
  const settle = async () => {
    while (release.length > 0) {
      release.shift()!();
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { fs, read, settle, most: () => most };
}

describe('ReadAhead', () => {
  it('reads small files ahead in order, three at a time, and skips large and empty ones', async () => {
    const opener = recordingOpener();
    const ahead = new ReadAhead(opener.fs);
    for (let i = 0; i < 10; i++) ahead.add(`/f${i}`, 1000);
    ahead.add('/missing', 10);
    ahead.add('/large', 64 * 1024 * 1024);
    ahead.add('/empty', 0);
    ahead.add('/last', 10);
    await opener.settle();
    expect(opener.most()).toBe(3);
    expect(opener.read).toEqual([...Array.from({ length: 10 }, (_, i) => `/f${i}`), '/last']);
  });

  it('reads nothing more once stopped', async () => {
    const opener = recordingOpener();
    const ahead = new ReadAhead(opener.fs);
    for (let i = 0; i < 6; i++) ahead.add(`/f${i}`, 1000);
    ahead.stop();
    ahead.add('/after', 1000);
    await opener.settle();
    // The three already being read finish; nothing else starts.
    expect(opener.read).toEqual(['/f0', '/f1', '/f2']);
  });
});
