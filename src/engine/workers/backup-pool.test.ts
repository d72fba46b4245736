import { describe, expect, it } from 'vitest';
import type { FileOutcome } from './backup-messages.ts';
import { joinSegments } from './backup-pool.ts';

const blob = (byte: number, length: number) => ({ blob: new Uint8Array(32).fill(byte), length });

function segment(start: number, end: number, extents: FileOutcome['extents']): FileOutcome {
  return { extents, bytesRead: end - start, error: undefined, span: { start, end } };
}

describe('joinSegments', () => {
  it('puts segments that join end to start one after another, one zero run across a join', () => {
    const joined = joinSegments([
      segment(0, 300, [blob(1, 200), { zeros: 100 }]),
      segment(300, 700, [{ zeros: 150 }, blob(2, 250)]),
      segment(700, 900, [blob(3, 200)]),
    ]);
    expect(joined).toEqual({
      extents: [blob(1, 200), { zeros: 250 }, blob(2, 250), blob(3, 200)],
      bytesRead: 900,
      error: undefined,
    });
  });

  it('says the file changed when two segments do not meet (it is then read again whole)', () => {
    expect(joinSegments([segment(0, 300, [blob(1, 300)]), segment(310, 600, [blob(2, 290)])])).toBeUndefined();
    expect(joinSegments([segment(0, 300, [blob(1, 300)]), segment(290, 600, [blob(2, 310)])])).toBeUndefined();
    // The first segment must start the file.
    expect(joinSegments([segment(5, 300, [blob(1, 295)])])).toBeUndefined();
  });

  it('reports the first unreadable segment', () => {
    const failed: FileOutcome = { extents: [], bytesRead: 10, error: 'EIO: i/o error, read' };
    expect(joinSegments([segment(0, 300, [blob(1, 300)]), failed])).toEqual({
      extents: [],
      bytesRead: 310,
      error: 'EIO: i/o error, read',
    });
  });
});
