import { QueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/problem.ts';

/** One cache for the console; client errors (4xx) are not retried, they will not change by themselves. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
    },
    mutations: { retry: false },
  },
});
