import { localTime } from './local-time.ts';

const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Decimal byte sizes (1 GB = 10^9 bytes, as storage is sold): `1.23 GB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  let value = Math.abs(bytes);
  let index = 0;
  while (value >= 1000 && index < units.length - 1) {
    value /= 1000;
    index++;
  }
  const text = index === 0 ? String(value) : value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0);
  return `${bytes < 0 ? '-' : ''}${text} ${units[index]}`;
}

/** Change of a figure with its sign and percentage: `+1.20 GB (+3.1 %)`. */
export function formatBytesDelta(current: number, previous: number | null | undefined): string {
  if (previous === null || previous === undefined) return '–';
  const delta = current - previous;
  const sign = delta > 0 ? '+' : delta < 0 ? '-' : '±';
  const percent = previous === 0 ? '' : ` (${sign}${Math.abs((delta / previous) * 100).toFixed(1)} %)`;
  return `${sign}${formatBytes(Math.abs(delta))}${percent}`;
}

export function formatCountDelta(current: number, previous: number | null | undefined): string {
  if (previous === null || previous === undefined) return '–';
  const delta = current - previous;
  return delta > 0 ? `+${delta}` : delta < 0 ? String(delta) : '±0';
}

/** `2026-03-29 06:00` in `zone`, or '–'. */
export function formatInstant(epochMs: number | null, zone: string): string {
  if (epochMs === null) return '–';
  const local = localTime(epochMs, zone);
  return `${local.date} ${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`;
}

/** An age as days and hours: `2 d 3 h`, `5 h`, or '–' when there is none. */
export function formatAge(fromMs: number | null, nowMs: number): string {
  if (fromMs === null) return '–';
  const hours = Math.max(0, Math.floor((nowMs - fromMs) / 3_600_000));
  const days = Math.floor(hours / 24);
  return days > 0 ? `${days} d ${hours % 24} h` : `${hours} h`;
}
