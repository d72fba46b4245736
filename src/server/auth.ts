import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import {
  type Authenticated,
  actorOf,
  authenticate,
  CsrfError,
  clearedSessionCookies,
  createAccessGuard,
  createAuditRecorder,
  csrfHeaderName,
  type IdentityRuntime,
  identityErrorStatuses,
  parseCookies,
  SessionRestrictedError,
  sameDigest,
  sessionCookieName,
  sha256Hex,
} from '../identity/index.ts';
import { type Logger, type RequestContext, UnauthenticatedError } from '../platform/index.ts';
import type { ServerContext } from './context.ts';
import { registerErrorStatus } from './problem.ts';

/** One API route as registered: what the authorization matrix walks. */
export interface ApiRoute {
  readonly method: string;
  readonly url: string;
  readonly access: string | undefined;
  readonly privilege: string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Identity's long-lived services (sessions, keys, audit) for this server. */
    identity: IdentityRuntime;
    /** Every `/api/v1` route with its declared access, in registration order. */
    apiRoutes: readonly ApiRoute[];
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Installs authentication: on every request (before the body is read) resolves the
 * session cookie or `Authorization: Bearer` API key to a principal and builds
 * `request.ctx`. Public routes get a context without a principal (no lookup at all);
 * other routes answer 401 without a valid credential, 403 when a restricted session
 * (password change or MFA enrolment pending) calls a route not meant for that stage, and
 * 403 when a cookie session sends an unsafe request without the matching CSRF header.
 * Must be installed before the routes so that it sees them all.
 */
export function installAuthentication(app: FastifyInstance, server: ServerContext, identity: IdentityRuntime): void {
  for (const [code, status] of Object.entries(identityErrorStatuses)) registerErrorStatus(code, status);
  const routes: ApiRoute[] = [];
  app.decorate('identity', identity);
  app.decorate('apiRoutes', routes);
  app.decorateRequest('ctx', null as unknown as RequestContext);
  app.decorateRequest('authentication', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/v1/') || route.url.startsWith('/api/v1/openapi')) return;
    // OpenAPI: which credentials the route takes (the components are declared in build-server).
    if (route.schema) {
      (route.schema as Record<string, unknown>).security =
        route.config?.access === 'public' ? [] : [{ session: [] }, { apiKey: [] }];
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push(
        Object.freeze({ method, url: route.url, access: route.config?.access, privilege: route.config?.privilege }),
      );
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config ?? {};
    const access = config.access ?? 'public';
    let auth: Authenticated | null = null;
    // Agent routes authenticate the agent's own credential (protection module), not a user.
    if (access !== 'public' && access !== 'agent') {
      const cookies = parseCookies(request.headers.cookie);
      const result = await authenticate(identity.db, {
        authorization: request.headers.authorization,
        sessionToken: cookies.get(sessionCookieName),
        address: request.ip,
        now: server.clock.now(),
      });
      if (result.status === 'rejected') {
        if (request.headers.authorization === undefined) {
          reply.header('set-cookie', clearedSessionCookies(request.protocol === 'https'));
        }
        throw result.error;
      }
      if (result.status === 'anonymous') throw new UnauthenticatedError();
      auth = result.auth;
      if (auth.stage !== 'full' && !(config.stages ?? []).includes(auth.stage)) {
        throw new SessionRestrictedError(auth.stage);
      }
      if (auth.session && !safeMethods.has(request.method)) checkCsrf(request, auth.session.csrfHash);
    }
    request.authentication = auth;
    request.ctx = contextFor(request, server, identity, auth);
  });
}

function checkCsrf(request: FastifyRequest, csrfHash: string): void {
  const header = request.headers[csrfHeaderName];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token || !sameDigest(sha256Hex(token), csrfHash)) throw new CsrfError();
}

function contextFor(
  request: FastifyRequest,
  server: ServerContext,
  identity: IdentityRuntime,
  auth: Authenticated | null,
): RequestContext {
  const principal = auth?.principal ?? null;
  const requestId = String(request.id);
  const address = request.ip;
  return Object.freeze({
    principal,
    access: createAccessGuard(identity.db, principal),
    audit: createAuditRecorder(identity.db, server.clock, () => actorOf(principal), { address, requestId }),
    database: server.database,
    clock: server.clock,
    log: request.log as Logger,
    requestId,
    address,
  });
}
