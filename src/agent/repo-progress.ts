/** Counters the bar reads. */
export interface ProgressCounters {
  files: number;
  bytes: number;
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** One progress line: files, bytes, MiB/s and ETA (when totals are known). Pure, for tests. */
export function formatProgress(
  counters: ProgressCounters,
  totals: { files: number; bytes: number } | undefined,
  elapsedMs: number,
  width: number,
): string {
  const rate = elapsedMs > 0 ? counters.bytes / (elapsedMs / 1000) : 0;
  const parts = [
    totals ? `${counters.files}/${totals.files} files` : `${counters.files} files`,
    totals ? `${mib(counters.bytes)}/${mib(totals.bytes)}` : mib(counters.bytes),
    `${(rate / 1048576).toFixed(1)} MiB/s`,
  ];
  if (totals && totals.bytes > 0) {
    const fraction = Math.min(1, counters.bytes / totals.bytes);
    parts.push(`ETA ${clock(rate > 0 ? (totals.bytes - counters.bytes) / rate : Number.NaN)}`);
    const text = parts.join('  ');
    const barWidth = Math.max(0, Math.min(30, width - text.length - 4));
    if (barWidth >= 5) {
      const filled = Math.round(fraction * barWidth);
      return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${text}`;
    }
    return text;
  }
  return parts.join('  ');
}

/**
 * Redraws a progress line on stderr four times a second, only when stderr is a terminal.
 * `stop()` clears it.
 */
export function startProgress(counters: ProgressCounters, totals?: { files: number; bytes: number }): { stop(): void } {
  const stream = process.stderr;
  if (!stream.isTTY) return { stop() {} };
  const started = Date.now();
  const draw = (): void => {
    const width = stream.columns ?? 80;
    stream.write(`\r${formatProgress(counters, totals, Date.now() - started, width).slice(0, width - 1)}\x1b[K`);
  };
  const timer = setInterval(draw, 250);
  return {
    stop() {
      clearInterval(timer);
      stream.write('\r\x1b[K');
    },
  };
}
