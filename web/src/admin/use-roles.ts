import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api/client.ts';

/** Roles usable at a unit: built-in ones and custom ones defined at the unit or above. */
export function useRoles(unitId: string | null) {
  return useQuery({
    queryKey: ['roles', unitId ?? ''],
    enabled: Boolean(unitId),
    queryFn: () => call(api.GET('/api/v1/roles', { params: { query: { buId: unitId ?? '' } } })),
  });
}
