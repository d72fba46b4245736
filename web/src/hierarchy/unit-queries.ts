import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api/client.ts';
import { useLocation } from '../routing/router.tsx';
import { scopeUnitId, useMe } from '../session/use-me.ts';

export const unitKey = (id: string) => ['unit', id] as const;

/** One business unit (cached; 404 for units outside the caller's subtree). */
export function useUnit(id: string | null | undefined) {
  return useQuery({
    queryKey: unitKey(id ?? ''),
    enabled: Boolean(id),
    queryFn: () => call(api.GET('/api/v1/business-units/{id}', { params: { path: { id: id ?? '' } } })),
    staleTime: 60_000,
  });
}

/** The units from the caller's top unit down to `id`. */
export function useUnitPath(id: string | null | undefined) {
  return useQuery({
    queryKey: ['unit-path', id ?? ''],
    enabled: Boolean(id),
    queryFn: () => call(api.GET('/api/v1/business-units/{id}/path', { params: { path: { id: id ?? '' } } })),
  });
}

/** The unit a screen works on: `?unit=` of the address, else the principal's own top unit. */
export function useCurrentUnitId(): string | null {
  const { query } = useLocation();
  const me = useMe().data;
  return query.get('unit') ?? (me ? scopeUnitId(me) : null);
}
