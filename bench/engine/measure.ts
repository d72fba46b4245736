import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** A program to run, with its arguments, folder and environment. */
export interface Command {
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface Measurement {
  readonly seconds: number;
  /** Peak resident memory of the command and every process it started, in bytes. */
  readonly peakRssBytes: number;
  /** CPU time (user + system) of the command and the processes it waited for. */
  readonly cpuSeconds: number;
  /**
   * CPU time the whole machine spent busy during the run, minus the command's: how many
   * cores other processes kept busy on average. On a shared machine this says how far
   * a figure can be trusted.
   */
  readonly backgroundCores: number;
  readonly stdout: string;
}

export class CommandFailedError extends Error {
  readonly code = 'BENCH_COMMAND_FAILED';
}

export const TIME_BINARY = '/usr/bin/time';
const SAMPLE_INTERVAL_MS = 50;
const OUTPUT_LIMIT = 1 << 20;

/** CPU time all cores have spent busy since boot, in seconds. */
function machineBusySeconds(): number {
  let milliseconds = 0;
  for (const cpu of cpus()) milliseconds += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return milliseconds / 1000;
}

function readKiB(path: string, field: string): number {
  try {
    const text = readFileSync(path, 'latin1');
    const at = text.indexOf(`${field}:`);
    return at === -1 ? 0 : Number.parseInt(text.slice(at + field.length + 1), 10) || 0;
  } catch {
    return 0; // the process ended between listing and reading
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').trim();
      if (text !== '') for (const child of text.split(' ')) children.push(Number(child));
    }
  } catch {
    // the process ended while being listed
  }
  return children;
}

/** Resident memory of every descendant of `pid` (not `pid` itself), summed, in KiB. */
function descendantsRssKiB(pid: number): number {
  let total = 0;
  for (const child of childrenOf(pid)) total += readKiB(`/proc/${child}/status`, 'VmRSS') + descendantsRssKiB(child);
  return total;
}

/**
 * Runs `command` under GNU time and measures wall-clock seconds, CPU time, the load of
 * other processes meanwhile, and peak RSS. GNU time
 * reports the largest single process of the tree (`%M`); a sampler sums the RSS of the
 * whole process tree every 50 ms, so child processes count too. The larger figure is kept.
 * Throws CommandFailedError (with the end of stderr) when the command exits non-zero.
 */
export function runMeasured(command: Command, scratchDir: string): Promise<Measurement> {
  const timeFile = join(scratchDir, `time-${process.pid}-${Date.now()}.txt`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const busyBefore = machineBusySeconds();
    const child = spawn(TIME_BINARY, ['-f', '%M %U %S', '-o', timeFile, command.program, ...command.args], {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += data.toString('utf8');
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString('utf8')).slice(-8192);
    });
    let sampledPeakKiB = 0;
    const sampler = setInterval(() => {
      if (child.pid !== undefined) sampledPeakKiB = Math.max(sampledPeakKiB, descendantsRssKiB(child.pid));
    }, SAMPLE_INTERVAL_MS);
    child.on('error', (error) => {
      clearInterval(sampler);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      const seconds = (performance.now() - started) / 1000;
      const busy = machineBusySeconds() - busyBefore;
      const timeText = existsSync(timeFile) ? readFileSync(timeFile, 'utf8') : '';
      rmSync(timeFile, { force: true });
      if (code !== 0) {
        const shown = [command.program, ...command.args].join(' ');
        const why = signal === null ? `exit code ${code}` : `signal ${signal}`;
        reject(new CommandFailedError(`${shown} failed (${why}):\n${stderr.trim() || timeText.trim()}`));
        return;
      }
      // GNU time's last line holds "%M %U %S" (earlier lines may report a signal).
      const [maxRssKiB = 0, user = 0, system = 0] = (timeText.trim().split('\n').pop() ?? '').split(' ').map(Number);
      const cpuSeconds = user + system;
      resolve({
        seconds,
        peakRssBytes: Math.max(maxRssKiB, sampledPeakKiB) * 1024,
        cpuSeconds,
        backgroundCores: Math.max(0, busy - cpuSeconds) / seconds,
        stdout,
      });
    });
  });
}

/** Runs a command to completion without measuring it; returns stdout, throws on failure. */
export function runQuietly(command: Command): string {
  try {
    return execFileSync(command.program, [...command.args], {
      cwd: command.cwd,
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    const shown = [command.program, ...command.args].join(' ');
    throw new CommandFailedError(`${shown} failed:\n${stderr.trim() || String(error)}`, { cause: error });
  }
}

/**
 * Flushes dirty pages and drops the page cache, dentries and inodes so that every phase
 * starts cold. Needs root; returns false (and changes nothing) otherwise.
 */
export function dropCaches(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Apparent size in bytes of everything under `path` (`du -sb`). */
export function directoryBytes(path: string): number {
  const output = execFileSync('du', ['-sb', path], { encoding: 'utf8' });
  return Number.parseInt(output.split('\t')[0] ?? '', 10);
}
