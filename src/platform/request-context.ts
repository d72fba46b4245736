import type { Clock } from './clock.ts';
import type { Database } from './database/connect.ts';
import type { Logger } from './logger.ts';

/**
 * Who is calling: a signed-in user (session) or an API key acting for a user. Resolved
 * by the identity module on every request; domain modules only read it.
 */
export interface Principal {
  readonly kind: 'user' | 'apikey';
  /** Session id or API key id. */
  readonly credentialId: string;
  readonly userId: string;
  /** The unit whose subtree this principal may reach (an API key's scope, or the user's unit). */
  readonly scopeBuId: string;
  readonly roleId: string;
  readonly privileges: ReadonlySet<string>;
  readonly displayName: string;
}

/**
 * The one place that answers "may the caller do X on a resource in unit B?". Implemented
 * by the identity module; every route asks it. Resources outside the caller's subtree are
 * reported as not found, never as forbidden, so their existence does not leak.
 */
export interface AccessGuard {
  /** Throws NotFoundError (`what` names the resource) if `buId` is outside the caller's subtree, ForbiddenError if the role lacks `privilege`. */
  require(privilege: string, buId: string, what?: string): Promise<void>;
  /** True when `buId` is inside the caller's subtree (no privilege check). */
  reaches(buId: string): Promise<boolean>;
  /** True when the caller's role holds `privilege` (no subtree check). */
  holds(privilege: string): boolean;
}

/** One entry of the audit log, as a domain module reports it. */
export interface AuditEvent {
  /** Verb in `noun.verb` form, e.g. `bu.move`, `user.disable`. */
  readonly action: string;
  /** The unit the change happened in (for subtree queries of the log). */
  readonly buId: string | null;
  readonly resourceType: string;
  readonly resourceId: string | null;
  /** Short summaries of the state before and after; never secrets. */
  readonly before?: Record<string, unknown> | null;
  readonly after?: Record<string, unknown> | null;
}

/** Appends audit entries for the current caller. */
export interface AuditRecorder {
  /** Records the event; `trx` lets the entry commit atomically with the change. */
  record(event: AuditEvent, trx?: unknown): Promise<void>;
}

/**
 * Request-scoped state, the explicit first argument of service functions (STYLE rule 5).
 * Public routes get a context without a principal.
 */
export interface RequestContext {
  readonly principal: Principal | null;
  readonly access: AccessGuard;
  readonly audit: AuditRecorder;
  readonly database: Database;
  readonly clock: Clock;
  readonly log: Logger;
  readonly requestId: string;
  /** The client's address (after trusted proxies). */
  readonly address: string;
}
