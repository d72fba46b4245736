import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Summarises the V8 CPU profiles that `npm run bench:engine -- --profile-coffer DIR` leaves
 * in DIR (one per process and worker thread): self time per function, largest first.
 *
 *   npx node bench/engine/profile-summary.ts DIR [TOP]
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function label(node: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where =
    url === '' ? '' : ` ${url.startsWith('file://') ? relative(root, url.slice(7)) : url}:${lineNumber + 1}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${where}`;
}

function summarise(dir: string, top: number): void {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile files in ${dir}`);
  const selfMicros = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const node = byId.get(id);
      const delta = profile.timeDeltas[index] ?? 0;
      if (node === undefined) return;
      const key = label(node, process.cwd());
      selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
      total += delta;
    });
  }
  process.stdout.write(`${files.length} profiles, ${(total / 1e6).toFixed(1)} s of samples (all threads)\n`);
  const rows = [...selfMicros].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, micros] of rows) {
    process.stdout.write(
      `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1e6).toFixed(2).padStart(7)} s  ${key}\n`,
    );
  }
}

const [dir, top] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write('usage: npx node bench/engine/profile-summary.ts DIR [TOP]\n');
  process.exitCode = 2;
} else {
  summarise(dir, Number(top ?? 30));
}
