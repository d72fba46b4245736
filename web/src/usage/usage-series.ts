// Turns the API's daily usage history into chart rows: one row per day, bytes in the one
// unit (KiB … TiB) that suits the largest value, so small and large subtrees both read well.

export interface UsageDayFigures {
  date: string;
  protectedBytes: number;
  storedBytes: number;
  transferredBytes: number;
  snapshotCount: number;
  clientCount: number;
  dataSourceCount: number;
}

export interface UsageChartRow {
  date: string;
  protected: number;
  stored: number;
  transferred: number;
  clients: number;
  dataSources: number;
  snapshots: number;
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;
export type ByteUnit = (typeof byteUnits)[number];

/** The largest binary unit in which `maxBytes` is at least 1 (B for nothing). */
export function byteUnitFor(maxBytes: number): { unit: ByteUnit; divisor: number } {
  let index = 0;
  while (index < byteUnits.length - 1 && maxBytes >= 1024 ** (index + 1)) index++;
  return { unit: byteUnits[index]!, divisor: 1024 ** index };
}

function scaled(bytes: number, divisor: number): number {
  return Math.round((bytes / divisor) * 1000) / 1000;
}

/**
 * One row per day in date order (the API's days may arrive in any order), byte figures in
 * `unit` (from {@link byteUnitFor} over every byte figure shown).
 */
export function toChartRows(days: readonly UsageDayFigures[]): { rows: UsageChartRow[]; unit: ByteUnit } {
  const max = Math.max(0, ...days.flatMap((day) => [day.protectedBytes, day.storedBytes, day.transferredBytes]));
  const { unit, divisor } = byteUnitFor(max);
  const rows = [...days]
    .sort((a, b) => a.date.localeCompare(b.date))
    .map((day) => ({
      date: day.date,
      protected: scaled(day.protectedBytes, divisor),
      stored: scaled(day.storedBytes, divisor),
      transferred: scaled(day.transferredBytes, divisor),
      clients: day.clientCount,
      dataSources: day.dataSourceCount,
      snapshots: day.snapshotCount,
    }));
  return { rows, unit };
}

/** The UTC calendar date `days` days before `now` (YYYY-MM-DD), as the usage API counts days. */
export function dateDaysAgo(days: number, now: number = Date.now()): string {
  return new Date(now - days * 86_400_000).toISOString().slice(0, 10);
}
