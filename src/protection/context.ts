import type { RequestContext } from '../platform/index.ts';

/** What protection's user-facing services need from the request context (STYLE rule 5). */
export type ProtectionContext = Pick<RequestContext, 'principal' | 'access' | 'audit' | 'database' | 'clock'>;

/** Who made a change, for `created_by` columns. */
export function callerId(ctx: ProtectionContext): string | null {
  return ctx.principal?.userId ?? null;
}
