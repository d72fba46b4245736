import type { Clock, Config, Database, JobQueue, Logger } from '../platform/index.ts';
import type { CertificateManager } from './certificates.ts';

/** Long-lived dependencies of the HTTP shell, passed to every route plugin. */
export interface ServerContext {
  readonly config: Config;
  readonly database: Database;
  readonly clock: Clock;
  readonly log: Logger;
  /** The durable job queue (routes enqueue work; the worker runs it). */
  readonly queue: JobQueue;
  /**
   * The certificate the HTTPS listener serves right now (undefined when HTTPS is off, as
   * in in-process tests). Enrolment tokens carry its fingerprint for agents to pin.
   */
  tlsCertificate(): ServedCertificate | undefined;
  /** Announces and activates the next certificate (rotation without losing pinned agents). */
  readonly certificates: CertificateManager;
}

/** What agents and operators may know about the served certificate. */
export interface ServedCertificate {
  /** SHA-256 of the DER certificate, colon-separated upper-case hex. */
  readonly fingerprint256: string;
  readonly validTo: Date;
  readonly selfSigned: boolean;
}

/**
 * What a route requires, declared in its `config` so that OpenAPI and the authorization
 * matrix can read it: `public` (no sign-in), `authenticated` (any signed-in principal,
 * acting on itself), `privilege` (checked by the access module against the target BU), or
 * `agent` (an enrolled agent's credential, checked by the protection module; reaches only
 * that agent's own data source and vault).
 */
export type RouteAccess =
  | { access: 'public' }
  | { access: 'authenticated' }
  | { access: 'privilege'; privilege: string }
  | { access: 'agent' };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess['access'];
    privilege?: string;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook for every route (principal null on public routes). */
    ctx: import('../platform/index.ts').RequestContext;
  }
}
