// Builds the web console into web/dist when it is missing or older than its sources.
// `npm start` runs this first (prestart), so a fresh checkout needs only
// `npm install && npm start`; the browser tests call it once before they start.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webRoot = fileURLToPath(new URL('..', import.meta.url));
const distIndex = join(webRoot, 'dist', 'index.html');
const sources = ['src', 'public', 'index.html', 'vite.config.ts'].map((entry) => join(webRoot, entry));

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when web/dist exists and is newer than every source file of the console. */
export function isWebBuildCurrent(): boolean {
  if (!existsSync(distIndex)) return false;
  const built = statSync(distIndex).mtimeMs;
  return sources.every((source) => newestMtime(source) <= built);
}

/** Runs the production build (Vite) into web/dist. */
export async function buildWeb(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: join(webRoot, 'vite.config.ts'), logLevel: 'warn' });
}

/** Builds only when needed; says which it did. */
export async function ensureWebBuilt(log: (line: string) => void = () => {}): Promise<'current' | 'built'> {
  if (isWebBuildCurrent()) return 'current';
  log('Building the web console (web/dist)…');
  const started = Date.now();
  await buildWeb();
  log(`Built the web console in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  return 'built';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  try {
    if (force) await buildWeb();
    else await ensureWebBuilt((line) => process.stdout.write(`${line}\n`));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND';
    process.stderr.write(
      missing
        ? 'The web console cannot be built: its build tools are not installed (run npm install without --omit=dev). The server starts without it.\n'
        : `The web console build failed: ${(error as Error).message}\n`,
    );
    // Without build tools the server still starts (its API works); a broken build is an error.
    process.exitCode = missing && !force ? 0 : 1;
  }
}
