import { type RequestContext, UnauthenticatedError } from '../platform/index.ts';

/** What tenancy's service functions need from the request context (STYLE rule 5). */
export type TenancyContext = Pick<RequestContext, 'principal' | 'access' | 'audit' | 'database' | 'clock'>;

/** The unit whose subtree the caller may reach; throws UnauthenticatedError for anonymous callers. */
export function callerScope(ctx: TenancyContext): string {
  if (!ctx.principal) throw new UnauthenticatedError();
  return ctx.principal.scopeBuId;
}

/** Who made a change, for `updated_by` columns. */
export function callerId(ctx: TenancyContext): string | null {
  return ctx.principal?.userId ?? null;
}
