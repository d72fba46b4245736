import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError } from './errors.ts';

/** Validated server configuration. Built once at start by {@link loadConfig}; frozen. */
export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** `sqlite:/abs/path.db` or `postgres://…`. */
  readonly databaseUrl: string;
  readonly logLevel: LogLevel;
  /** Largest request body accepted, in bytes (uploads have their own limit). */
  readonly bodyLimit: number;
  /** How many jobs this process runs at once. */
  readonly workerConcurrency: number;
  /** PEM certificate and key files for HTTPS; both unset means a generated self-signed pair. */
  readonly tlsCert: string | null;
  readonly tlsKey: string | null;
  /** HTTPS port, or null when HTTPS is off. */
  readonly tlsPort: number | null;
  /** Addresses/CIDRs of TLS-terminating proxies whose X-Forwarded-* headers are honoured. */
  readonly trustProxy: readonly string[];
  /**
   * The HTTPS address agents reach this server at (e.g. `https://backup.example.com`), put
   * into enrolment tokens by default; null when not configured.
   */
  readonly publicUrl: string | null;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * One setting: its environment variable, its key in the optional JSON config file, and a
 * parser that throws a message saying what is allowed.
 */
interface Setting<T> {
  env: string;
  key: string;
  parse(raw: string): T;
  fallback(partial: Partial<Record<keyof Config, unknown>>): T;
}

function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new Error(`must be a whole number from ${min} to ${max}`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return value;
  };
}

function nonEmpty(raw: string): string {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw.trim();
}

const settings: { [K in keyof Config]: Setting<Config[K]> } = {
  dataDir: {
    env: 'COFFER_DATA_DIR',
    key: 'dataDir',
    parse: (raw) => resolve(nonEmpty(raw)),
    fallback: () => resolve('data'),
  },
  host: { env: 'COFFER_HOST', key: 'host', parse: nonEmpty, fallback: () => '127.0.0.1' },
  port: { env: 'COFFER_PORT', key: 'port', parse: integer(0, 65535), fallback: () => 8080 },
  databaseUrl: {
    env: 'COFFER_DATABASE_URL',
    key: 'databaseUrl',
    parse(raw) {
      const value = nonEmpty(raw);
      if (value.startsWith('postgres://') || value.startsWith('postgresql://')) return value;
      if (value.startsWith('sqlite:')) return `sqlite:${resolve(value.slice('sqlite:'.length))}`;
      throw new Error('must start with postgres:// or sqlite:');
    },
    fallback: (partial) => `sqlite:${resolve(String(partial.dataDir), 'coffer.db')}`,
  },
  logLevel: {
    env: 'COFFER_LOG_LEVEL',
    key: 'logLevel',
    parse(raw) {
      const value = raw.trim() as LogLevel;
      if (!logLevels.includes(value)) throw new Error(`must be one of ${logLevels.join(', ')}`);
      return value;
    },
    fallback: () => 'info',
  },
  bodyLimit: { env: 'COFFER_BODY_LIMIT', key: 'bodyLimit', parse: integer(1024, 1 << 30), fallback: () => 1 << 20 },
  workerConcurrency: {
    env: 'COFFER_WORKER_CONCURRENCY',
    key: 'workerConcurrency',
    parse: integer(0, 64),
    fallback: () => 2,
  },
  tlsCert: { env: 'COFFER_TLS_CERT', key: 'tlsCert', parse: (raw) => resolve(nonEmpty(raw)), fallback: () => null },
  tlsKey: { env: 'COFFER_TLS_KEY', key: 'tlsKey', parse: (raw) => resolve(nonEmpty(raw)), fallback: () => null },
  tlsPort: {
    env: 'COFFER_TLS_PORT',
    key: 'tlsPort',
    parse: (raw) => (raw.trim() === 'off' ? null : integer(0, 65535)(raw)),
    fallback: () => 8443,
  },
  trustProxy: {
    env: 'COFFER_TRUST_PROXY',
    key: 'trustProxy',
    parse(raw) {
      const entries = raw
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '');
      for (const entry of entries) {
        if (!isAddressOrRange(entry)) {
          throw new Error(`must be a comma-separated list of IP addresses or CIDR ranges (bad entry "${entry}")`);
        }
      }
      return entries;
    },
    fallback: () => [],
  },
  publicUrl: {
    env: 'COFFER_PUBLIC_URL',
    key: 'publicUrl',
    parse(raw) {
      const value = nonEmpty(raw);
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        throw new Error('must be an https:// URL, e.g. https://backup.example.com');
      }
      if (url.protocol !== 'https:') throw new Error('must be an https:// URL, e.g. https://backup.example.com');
      if (url.username || url.password || url.search || url.hash) {
        throw new Error('must be an https:// URL without credentials, query or fragment');
      }
      // Agents add /api/v1/agent/…: keep a path prefix, drop a trailing slash.
      return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    },
    fallback: () => null,
  },
};

function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const version = isIP(address);
  if (!version || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d+$/.test(bits) && Number(bits) <= (version === 6 ? 128 : 32);
}

/**
 * Reads the configuration from the environment, then from the JSON file named by
 * `COFFER_CONFIG_FILE` (the environment wins). Throws {@link ConfigError} with one line
 * naming the variable and what is allowed; unknown keys in the file are refused.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let file: Record<string, unknown> = {};
  const fileName = env.COFFER_CONFIG_FILE;
  if (fileName) {
    let text: string;
    try {
      text = readFileSync(fileName, 'utf8');
    } catch (error) {
      throw new ConfigError(`COFFER_CONFIG_FILE: cannot read ${fileName} (${(error as NodeJS.ErrnoException).code})`);
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      file = parsed as Record<string, unknown>;
    } catch {
      throw new ConfigError(`COFFER_CONFIG_FILE: ${fileName} must hold one JSON object`);
    }
    const known = new Set(Object.values(settings).map((s) => s.key));
    for (const key of Object.keys(file)) {
      if (!known.has(key)) {
        throw new ConfigError(`COFFER_CONFIG_FILE: unknown setting "${key}"; allowed: ${[...known].join(', ')}`);
      }
    }
  }

  const result: Partial<Record<keyof Config, unknown>> = {};
  for (const name of Object.keys(settings) as (keyof Config)[]) {
    const setting = settings[name] as Setting<unknown>;
    const fromEnv = env[setting.env];
    const fromFile = file[setting.key];
    const raw =
      fromEnv !== undefined && fromEnv !== '' ? fromEnv : fromFile !== undefined ? String(fromFile) : undefined;
    const source = fromEnv !== undefined && fromEnv !== '' ? setting.env : `${setting.key} in ${fileName}`;
    if (raw === undefined) {
      result[name] = setting.fallback(result);
      continue;
    }
    try {
      result[name] = setting.parse(raw);
    } catch (error) {
      throw new ConfigError(`${source}=${JSON.stringify(raw)} ${(error as Error).message}`);
    }
  }
  if ((result.tlsCert === null) !== (result.tlsKey === null)) {
    throw new ConfigError(
      'COFFER_TLS_CERT and COFFER_TLS_KEY must be set together (or neither, for a self-signed certificate)',
    );
  }
  if ((result.tlsCert === null) !== (result.tlsKey === null)) {
    throw new ConfigError(
      'COFFER_TLS_CERT and COFFER_TLS_KEY must be set together (or neither, for a self-signed certificate)',
    );
  }
  return Object.freeze(result as unknown as Config);
}
