import { accessSync, constants, mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type BootstrapResult, bootstrapInstallation } from '../identity/index.ts';
import {
  type Clock,
  type Config,
  ConfigError,
  createLogger,
  type Database,
  type Logger,
  loadConfig,
  migrateToLatest,
  openDatabase,
  redactUrl,
  systemClock,
} from '../platform/index.ts';
import { type Background, createBackground } from './background.ts';
import { buildServer } from './build-server.ts';
import { createCertificateManager } from './certificates.ts';
import { isLoopback, Listeners } from './listeners.ts';
import { moduleBackground } from './modules.ts';
import { loadOrCreateSelfSigned, loadTlsFiles, type TlsMaterial } from './tls.ts';

/** A running server process: its addresses and how to stop it gracefully. */
export interface RunningServer {
  /** Plain HTTP (loopback, or for trusted proxies). */
  readonly url: string;
  /** HTTPS, when on. */
  readonly httpsUrl: string | undefined;
  readonly tls: TlsMaterial | undefined;
  readonly app: FastifyInstance;
  readonly database: Database;
  readonly background: Background;
  /** Re-reads the certificate and key (SIGHUP); open connections are not dropped. */
  reloadTls(): Promise<TlsMaterial | undefined>;
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

async function loadTls(config: Config, now: number): Promise<TlsMaterial | undefined> {
  if (config.tlsPort === null) return undefined;
  if (config.tlsCert && config.tlsKey) return loadTlsFiles(config.tlsCert, config.tlsKey, now);
  return loadOrCreateSelfSigned(config.dataDir, now);
}

function formatUrl(scheme: string, host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `${scheme}://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

function announce(
  config: Config,
  urls: { http: string; https: string | undefined },
  tls: TlsMaterial | undefined,
  bootstrap: BootstrapResult | null,
  out: NodeJS.WritableStream,
): void {
  const lines = [`Coffer is listening on ${urls.http}`];
  if (urls.https && tls) {
    lines.push(
      `HTTPS on ${urls.https} (certificate SHA-256 fingerprint ${tls.fingerprint256}${tls.selfSigned ? ', self-signed' : ''})`,
    );
  }
  if (bootstrap) {
    lines.push(
      '',
      'First start: created the root business unit and an administrator.',
      `  Sign in at:          ${urls.http}`,
      `  User:                ${bootstrap.adminEmail}`,
      `  One-time password:   ${bootstrap.oneTimePassword}`,
      ...(tls ? [`  Server certificate:  SHA-256 ${tls.fingerprint256}`] : []),
      'This password is shown only once and must be changed at first sign-in.',
      `Data directory: ${config.dataDir}`,
      '',
    );
  }
  // One write, so a reader never sees the address without the rest.
  out.write(`${lines.join('\n')}\n`);
}

function listenError(error: unknown, variable: string, host: string, port: number): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') throw new ConfigError(`${variable}: port ${port} on ${host} is already in use`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    throw new ConfigError(`COFFER_HOST: cannot listen on ${host} (${code})`);
  if (code === 'EACCES') throw new ConfigError(`${variable}: not allowed to listen on port ${port}`);
  throw error;
}

/**
 * Starts the server from configuration: data directory, database (migrated), TLS
 * material, listeners, first-start bootstrap. Throws a CofferError with one clear line on
 * bad settings, an unreachable database, unusable certificates or a port in use.
 */
export async function startServer(options: {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  out?: NodeJS.WritableStream;
  log?: Logger;
}): Promise<RunningServer> {
  const config = loadConfig(options.env ?? process.env);
  const clock = options.clock ?? systemClock;
  const out = options.out ?? process.stdout;
  ensureWritableDataDir(config.dataDir);
  const log = options.log ?? createLogger({ level: config.logLevel, destination: process.stderr });
  let tls = await loadTls(config, clock.now());
  const database = await openDatabase(config.databaseUrl);
  let app: FastifyInstance | undefined;
  let listeners: Listeners | undefined;
  let background: Background | undefined;
  try {
    await migrateToLatest(database.kysely);
    const reloadTls = async (): Promise<TlsMaterial | undefined> => {
      const next = await loadTls(config, clock.now());
      if (next && listeners) {
        listeners.reload(next);
        tls = next;
        log.info({ fingerprint256: next.fingerprint256 }, 'TLS certificate reloaded');
      }
      return next;
    };
    background = createBackground({
      database,
      clock,
      log,
      concurrency: config.workerConcurrency,
      contributions: (queue) => moduleBackground({ database, clock, log, queue, config }),
    });
    app = await buildServer({
      config,
      database,
      log,
      clock,
      queue: background.queue,
      certificates: createCertificateManager({ config, clock, current: () => tls, reload: () => reloadTls() }),
      serverFactory: (handler) => {
        listeners = new Listeners(handler, tls, (error) => log.debug({ err: error.message }, 'TLS handshake refused'));
        return listeners.http;
      },
    });
    await app.ready();
    if (!listeners) throw new Error('server factory was not used');
    const active = listeners;
    // Plain HTTP is for local use, or for a trusted TLS-terminating proxy.
    const httpHost = isLoopback(config.host) || config.trustProxy.length > 0 ? config.host : '127.0.0.1';
    const httpPort = await active
      .listenHttp(httpHost, config.port)
      .catch((e) => listenError(e, 'COFFER_PORT', httpHost, config.port));
    let httpsUrl: string | undefined;
    if (tls && config.tlsPort !== null) {
      const tlsPort = config.tlsPort;
      const port = await active
        .listenHttps(config.host, tlsPort)
        .catch((e) => listenError(e, 'COFFER_TLS_PORT', config.host, tlsPort));
      httpsUrl = formatUrl('https', config.host, port);
    }
    const url = formatUrl('http', httpHost, httpPort);
    // Bootstrap only once the ports are ours, so a failed start never swallows the
    // one-time password of a bootstrap that nobody saw.
    const bootstrap = await bootstrapInstallation(database, { clock });
    await background.start();
    const jobs = background;
    log.info({ url, httpsUrl, database: redactUrl(config.databaseUrl) }, 'server started');
    announce(config, { http: url, https: httpsUrl }, tls, bootstrap, out);
    const started = app;
    let stopping: Promise<void> | undefined;
    return {
      url,
      httpsUrl,
      get tls() {
        return tls;
      },
      app: started,
      database,
      background: jobs,
      reloadTls,
      stop() {
        stopping ??= (async () => {
          await active.close();
          await jobs.stop();
          await started.close();
          await database.close();
          log.info('server stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await listeners?.close().catch(() => {});
    await background?.stop(0).catch(() => {});
    await app?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}
