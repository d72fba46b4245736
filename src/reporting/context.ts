import type { RequestContext } from '../platform/index.ts';

/** What reporting's services use of the request context. */
export type ReportingContext = Pick<RequestContext, 'principal' | 'access' | 'audit' | 'database' | 'clock'>;

/** The acting user's id for `created_by` columns (null for system actions). */
export function actorId(ctx: ReportingContext): string | null {
  return ctx.principal?.userId ?? null;
}
