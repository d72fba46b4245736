import {
  type AccessGuard,
  ForbiddenError,
  NotFoundError,
  type Principal,
  UnauthenticatedError,
} from '../platform/index.ts';
import type { IdentityDb } from './db.ts';
import { isInSubtree } from './unit-store.ts';

/**
 * The one place that decides "may this principal do X on a resource in unit B": B must
 * lie in the principal's scope subtree (otherwise the resource is reported as not found,
 * so its existence does not leak), and the principal's role must hold X (otherwise
 * forbidden). Subtree answers are cached for the request.
 */
export function createAccessGuard(db: IdentityDb, principal: Principal | null): AccessGuard {
  const reach = new Map<string, Promise<boolean>>();
  function reaches(buId: string): Promise<boolean> {
    if (!principal) return Promise.resolve(false);
    let answer = reach.get(buId);
    if (!answer) {
      answer = isInSubtree(db, principal.scopeBuId, buId);
      reach.set(buId, answer);
    }
    return answer;
  }
  return Object.freeze({
    reaches,
    holds(privilege: string): boolean {
      return principal?.privileges.has(privilege) ?? false;
    },
    async require(privilege: string, buId: string, what = 'Business unit'): Promise<void> {
      if (!principal) throw new UnauthenticatedError();
      if (!(await reaches(buId))) throw new NotFoundError(what);
      if (!principal.privileges.has(privilege)) {
        throw new ForbiddenError(`Your role does not hold the privilege ${privilege}`, { privilege });
      }
    },
  });
}
