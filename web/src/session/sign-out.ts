import type { QueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client.ts';
import { meKey } from './use-me.ts';

/** Ends the session on the server and forgets every cached answer of this user. */
export async function signOut(queryClient: QueryClient): Promise<void> {
  try {
    await call(api.POST('/api/v1/auth/sign-out'));
  } finally {
    queryClient.removeQueries();
    queryClient.setQueryData(meKey, null);
  }
}
