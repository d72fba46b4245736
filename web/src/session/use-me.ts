import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api/client.ts';
import { ApiError } from '../api/problem.ts';
import type { Me } from '../api/types.ts';

export const meKey = ['me'] as const;

/** The signed-in principal, or null when nobody is signed in (401). */
export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<Me | null> => {
      try {
        return await call(api.GET('/api/v1/me'));
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

/** Whether the principal's role holds `privilege` (at its own unit and therefore its whole subtree). */
export function hasPrivilege(me: Me | null | undefined, privilege: string): boolean {
  return me?.principal.privileges?.includes(privilege) ?? false;
}

/** The top unit of the signed-in principal: the root of everything it sees. */
export function scopeUnitId(me: Me): string {
  return me.principal.scopeBuId ?? me.user.buId;
}
