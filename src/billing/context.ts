import type { RequestContext } from '../platform/index.ts';

/** What billing services need from a request: the caller, access decisions, audit, database, clock. */
export type BillingContext = Pick<RequestContext, 'principal' | 'access' | 'audit' | 'database' | 'clock'>;

/** The acting user's id for `created_by` columns (null for system actions). */
export function actorId(ctx: BillingContext): string | null {
  return ctx.principal?.userId ?? null;
}
