import { describe, expect, it } from 'vitest';
import { applyRetention, isEmptyPolicy } from './retention.ts';

const hour = 3_600_000;
const day = 24 * hour;
const start = new Date(2026, 0, 1, 12).getTime();

function snapshots(times: number[], group = 'g') {
  return times.map((timeMs, i) => ({ id: `s${i}`, timeMs, group }));
}

function kept(decisions: ReturnType<typeof applyRetention>): string[] {
  return decisions.filter((d) => d.keep).map((d) => d.id);
}

describe('retention policy', () => {
  it('keep-last keeps the newest n', () => {
    expect(kept(applyRetention(snapshots([start, start + hour, start + 2 * hour]), { last: 2 }))).toEqual(['s1', 's2']);
  });

  it('keep-daily keeps the newest of each of the last n days', () => {
    const times = [start, start + hour, start + day, start + day + hour, start + 2 * day];
    const decisions = applyRetention(snapshots(times), { daily: 2 });
    expect(kept(decisions)).toEqual(['s3', 's4']);
    expect(decisions.find((d) => d.id === 's4')!.reasons).toEqual(['daily']);
  });

  it('combines rules and groups independently', () => {
    const times = Array.from({ length: 60 }, (_, i) => start + i * day);
    const policy = { last: 1, weekly: 2, monthly: 2, yearly: 1 };
    const both = [...snapshots(times, 'a'), ...snapshots(times, 'b').map((s) => ({ ...s, id: `b${s.id}` }))];
    const decisions = applyRetention(both, policy);
    expect(kept(decisions).filter((id) => id.startsWith('s')).length).toBe(
      kept(decisions).filter((id) => id.startsWith('b')).length,
    );
    expect(kept(decisions)).toContain('s59');
    expect(kept(decisions).length).toBeLessThan(10);
  });

  it('knows an empty policy', () => {
    expect(isEmptyPolicy({})).toBe(true);
    expect(isEmptyPolicy({ last: 0 })).toBe(true);
    expect(isEmptyPolicy({ daily: 1 })).toBe(false);
  });
});
