import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { ConfigError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'coffer-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfig', () => {
  it('gives the embedded defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      dataDir: resolve('data'),
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: `sqlite:${resolve('data', 'coffer.db')}`,
      logLevel: 'info',
      tlsPort: 8443,
      tlsCert: null,
      trustProxy: [],
      publicUrl: null,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the public HTTPS address, without a trailing slash', () => {
    expect(loadConfig({ COFFER_PUBLIC_URL: 'https://Backup.example.com:8443/' }).publicUrl).toBe(
      'https://backup.example.com:8443',
    );
    expect(loadConfig({ COFFER_PUBLIC_URL: 'https://example.com/coffer/' }).publicUrl).toBe(
      'https://example.com/coffer',
    );
  });

  it('puts the SQLite file under a chosen data directory', () => {
    expect(loadConfig({ COFFER_DATA_DIR: '/srv/coffer' }).databaseUrl).toBe('sqlite:/srv/coffer/coffer.db');
  });

  it('reads a JSON file and lets the environment win', () => {
    const file = join(dir, 'coffer.json');
    writeFileSync(file, JSON.stringify({ port: 9000, host: '0.0.0.0', logLevel: 'debug' }));
    const config = loadConfig({ COFFER_CONFIG_FILE: file, COFFER_PORT: '9100' });
    expect(config.port).toBe(9100);
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('debug');
  });

  it.each([
    [{ COFFER_PORT: 'eighty' }, 'COFFER_PORT="eighty" must be a whole number from 0 to 65535'],
    [{ COFFER_PORT: '-1' }, 'COFFER_PORT="-1" must be a whole number from 0 to 65535'],
    [
      { COFFER_LOG_LEVEL: 'loud' },
      'COFFER_LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ COFFER_DATABASE_URL: 'mysql://x' }, 'COFFER_DATABASE_URL="mysql://x" must start with postgres:// or sqlite:'],
    [{ COFFER_HOST: '   ' }, 'COFFER_HOST="   " must not be empty'],
    [{ COFFER_TLS_PORT: 'on' }, 'COFFER_TLS_PORT="on" must be a whole number from 0 to 65535'],
    [{ COFFER_TLS_KEY: '/k.pem' }, 'COFFER_TLS_CERT and COFFER_TLS_KEY must be set together'],
    [{ COFFER_TRUST_PROXY: '10.0.0.0/33' }, 'bad entry "10.0.0.0/33"'],
    [
      { COFFER_PUBLIC_URL: 'http://backup.example.com' },
      'COFFER_PUBLIC_URL="http://backup.example.com" must be an https:// URL',
    ],
    [{ COFFER_PUBLIC_URL: 'backup.example.com' }, 'must be an https:// URL'],
    [{ COFFER_PUBLIC_URL: 'https://backup.example.com/?x=1' }, 'without credentials, query or fragment'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses an unreadable file, a file that is not one JSON object, and unknown keys', () => {
    expect(() => loadConfig({ COFFER_CONFIG_FILE: join(dir, 'none.json') })).toThrow(/cannot read .* \(ENOENT\)/);
    const array = join(dir, 'array.json');
    writeFileSync(array, '[1]');
    expect(() => loadConfig({ COFFER_CONFIG_FILE: array })).toThrow(/must hold one JSON object/);
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, '{"prot": 1}');
    expect(() => loadConfig({ COFFER_CONFIG_FILE: unknown })).toThrow(/unknown setting "prot"/);
  });
});
