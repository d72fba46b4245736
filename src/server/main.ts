import { accessSync, constants, mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type BootstrapResult, bootstrapInstallation } from '../identity/index.ts';
import {
  type Clock,
  type Config,
  ConfigError,
  createLogger,
  type Database,
  loadConfig,
  migrateToLatest,
  openDatabase,
  redactUrl,
  systemClock,
} from '../platform/index.ts';
import { buildServer } from './build-server.ts';

/** A running server process: its address and how to stop it gracefully. */
export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly database: Database;
  stop(): Promise<void>;
}

function ensureWritableDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`COFFER_DATA_DIR: data directory ${dir} is not writable (${code})`);
  }
}

function announce(config: Config, url: string, bootstrap: BootstrapResult | null, out: NodeJS.WritableStream): void {
  out.write(`Coffer is listening on ${url}\n`);
  if (!bootstrap) return;
  out.write(
    [
      '',
      'First start: created the root business unit and an administrator.',
      `  Sign in at:          ${url}`,
      `  User:                ${bootstrap.adminEmail}`,
      `  One-time password:   ${bootstrap.oneTimePassword}`,
      'This password is shown only once and must be changed at first sign-in.',
      `Data directory: ${config.dataDir}`,
      '',
    ].join('\n'),
  );
}

/**
 * Starts the server from configuration: data directory, database (migrated), first-start
 * bootstrap, HTTP listener. Throws a CofferError with one clear line on bad settings, an
 * unreachable database or a port in use.
 */
export async function startServer(options: {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  out?: NodeJS.WritableStream;
}): Promise<RunningServer> {
  const config = loadConfig(options.env ?? process.env);
  const clock = options.clock ?? systemClock;
  const out = options.out ?? process.stdout;
  ensureWritableDataDir(config.dataDir);
  const log = createLogger({ level: config.logLevel, destination: process.stderr });
  const database = await openDatabase(config.databaseUrl);
  let app: FastifyInstance | undefined;
  try {
    await migrateToLatest(database.kysely);
    app = await buildServer({ config, database, log, clock });
    try {
      await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        throw new ConfigError(`COFFER_PORT: port ${config.port} on ${config.host} is already in use`);
      }
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
        throw new ConfigError(`COFFER_HOST: cannot listen on ${config.host} (${code})`);
      }
      if (code === 'EACCES') throw new ConfigError(`COFFER_PORT: not allowed to listen on port ${config.port}`);
      throw error;
    }
    // Bootstrap only once the port is ours, so a failed start never swallows the
    // one-time password of a bootstrap that nobody saw.
    const bootstrap = await bootstrapInstallation(database, { clock });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host}:${port}`;
    log.info({ url, database: redactUrl(config.databaseUrl) }, 'server started');
    announce(config, url, bootstrap, out);
    const started = app;
    let stopping: Promise<void> | undefined;
    return {
      url,
      app: started,
      database,
      stop() {
        stopping ??= (async () => {
          await started.close();
          await database.close();
          log.info('server stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}
