import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCoffer, startServerProcess } from '../helpers/processes.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-cli-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One clear line naming the problem, a non-zero exit, and no stack trace. */
function expectOneLineFailure(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.includes('ExperimentalWarning') && !l.includes('--trace-warnings'));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^coffer: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

// Starts real server processes; a start takes seconds on a busy 2-core machine.
describe('coffer command', { timeout: 120_000 }, () => {
  it('prints its version and help', async () => {
    const version = await runCoffer(['--version'], {});
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCoffer(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('server');
  });

  it('starts on a fresh data directory, prints the one-time password once, and reuses the data on a second start', async () => {
    const dataDir = tempDir();
    const env = { COFFER_DATA_DIR: dataDir, COFFER_PORT: '0', COFFER_TLS_PORT: '0', COFFER_LOG_LEVEL: 'warn' };
    const first = await startServerProcess(env);
    const ready = await fetch(`${first.url}/readyz`);
    expect(ready.status).toBe(200);
    const firstResult = await first.stop('SIGTERM');
    expect(firstResult.code).toBe(0);
    expect(firstResult.stdout).toMatch(/One-time password:\s+\S{20}/);
    expect(firstResult.stdout).toContain('admin@localhost');

    const second = await startServerProcess(env);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    const secondResult = await second.stop('SIGINT');
    expect(secondResult.code).toBe(0);
    expect(secondResult.stdout).not.toMatch(/password/i);
  });

  it('fails with one line on an unknown setting value', async () => {
    const result = await runCoffer(['server'], { COFFER_DATA_DIR: tempDir(), COFFER_LOG_LEVEL: 'loud' });
    expectOneLineFailure(result, /COFFER_LOG_LEVEL="loud" must be one of/);
  });

  it('fails with one line on a port outside the allowed range', async () => {
    const result = await runCoffer(['server'], { COFFER_DATA_DIR: tempDir(), COFFER_PORT: '99999' });
    expectOneLineFailure(result, /COFFER_PORT="99999" must be a whole number from 0 to 65535/);
  });

  it('fails with one line on an unwritable data directory', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    const result = await runCoffer(['server'], { COFFER_DATA_DIR: join(file, 'data') });
    expectOneLineFailure(result, /COFFER_DATA_DIR: data directory .* is not writable \(ENOTDIR\)/);
  });

  it('fails with one line when the database cannot be reached', async () => {
    const result = await runCoffer(['server'], {
      COFFER_DATA_DIR: tempDir(),
      COFFER_DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/nothing',
    });
    expectOneLineFailure(
      result,
      /cannot connect to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nothing/,
    );
    expect(result.stderr).not.toContain('secret');
  });

  it('fails with one line when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const result = await runCoffer(['server'], {
        COFFER_DATA_DIR: tempDir(),
        COFFER_PORT: String(port),
        COFFER_TLS_PORT: 'off',
      });
      expectOneLineFailure(result, new RegExp(`COFFER_PORT: port ${port} on 127.0.0.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('refuses an unknown key in the configuration file', async () => {
    const dir = tempDir();
    const file = join(dir, 'coffer.json');
    writeFileSync(file, JSON.stringify({ port: 8081, colour: 'blue' }));
    const result = await runCoffer(['server'], { COFFER_DATA_DIR: dir, COFFER_CONFIG_FILE: file });
    expectOneLineFailure(result, /unknown setting "colour"/);
  });
});
