import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify';
import { createIdentityRuntime, loadOrCreateSecretKey, type PasswordHashing } from '../identity/index.ts';
import {
  type Clock,
  type Config,
  createJobQueue,
  type Database,
  type JobQueue,
  type Logger,
  newId,
  systemClock,
} from '../platform/index.ts';
import { installAuthentication } from './auth.ts';
import { type CertificateManager, createCertificateManager } from './certificates.ts';
import type { ServerContext } from './context.ts';
import { registerMetrics } from './metrics.ts';
import { handleError, handleNotFound } from './problem.ts';
import { registerRoutes } from './routes.ts';
import { registerStaticUi } from './static-ui.ts';
import { createValidatorCompiler } from './validation.ts';

export interface BuildServerOptions {
  config: Config;
  database: Database;
  log: Logger;
  clock?: Clock;
  /** The served certificate and its rotation (default: HTTPS off, as in in-process tests). */
  certificates?: CertificateManager;
  /** The job queue; a new one over `database` when omitted. */
  queue?: JobQueue;
  /** Supplies the Node server Fastify dispatches from (start-up passes the TLS-aware one). */
  serverFactory?: FastifyServerFactory;
  /** Identity's server key (default: `<dataDir>/secrets/identity.key`) and, in tests only, cheaper password hashing. */
  identity?: { secretKey?: Uint8Array; passwordHashing?: PasswordHashing };
}

import { version } from '../cli/version.ts';

/**
 * Builds the HTTP application without listening, so tests drive it with `inject()` and
 * `coffer server` calls `listen()` on the result. Every error leaves as problem+json.
 */
export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const certificates =
    options.certificates ??
    createCertificateManager({
      config: options.config,
      clock,
      current: () => undefined,
      reload: async () => undefined,
    });
  const ctx: ServerContext = Object.freeze({
    config: options.config,
    database: options.database,
    clock,
    log: options.log,
    queue: options.queue ?? createJobQueue({ database: options.database, clock }),
    tlsCertificate: () => certificates.current(),
    certificates,
  });

  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: options.config.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => newId(),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    // X-Forwarded-* is honoured only from the configured proxies.
    trustProxy: options.config.trustProxy.length > 0 ? [...options.config.trustProxy] : false,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  });
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  installAuthentication(
    app,
    ctx,
    createIdentityRuntime({
      database: ctx.database,
      clock: ctx.clock,
      log: ctx.log,
      secretKey: options.identity?.secretKey ?? loadOrCreateSecretKey(options.config.dataDir),
      ...(options.identity?.passwordHashing ? { passwordHashing: options.identity.passwordHashing } : {}),
    }),
  );
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
  });

  // Every API route must say who may call it; OpenAPI shows the required privilege.
  app.addHook('onRoute', (route) => {
    const url = route.url;
    const config = route.config ?? {};
    const documented = url.startsWith('/api/v1') && !url.startsWith('/api/v1/openapi');
    if (documented && !config.access) {
      throw new Error(`route ${route.method} ${url} declares no access (config.access)`);
    }
    if (config.access === 'privilege' && !config.privilege) {
      throw new Error(`route ${route.method} ${url} declares privilege access without a privilege`);
    }
    if (config.access && route.schema) {
      const schema = route.schema as Record<string, unknown>;
      schema['x-coffer-access'] = config.access;
      if (config.privilege) schema['x-coffer-privilege'] = config.privilege;
    }
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    // HSTS only makes sense over HTTPS; the TLS layer adds it there.
    hsts: false,
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Coffer API',
        version,
        description: 'Backup as a service: business units, identity, data protection, usage, billing and reports.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'coffer_session' },
          apiKey: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  const metrics = registerMetrics(app, ctx.queue);
  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await registerRoutes(app, ctx);
  await registerStaticUi(app);
  return app;
}
