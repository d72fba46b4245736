import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const ticksPerSecond = 100;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Resident memory of a process now, in bytes. */
export function processRssBytes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /VmRSS:\s+(\d+) kB/.exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

/** CPU time all cores have spent busy since boot, in seconds. */
export function machineBusySeconds(): number {
  let milliseconds = 0;
  for (const cpu of cpus()) milliseconds += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return milliseconds / 1000;
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the peak. */
export function samplePeakRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = processRssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, processRssBytes(pid));
    } catch {
      // the process ended
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** The p-th percentile (0..100) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
