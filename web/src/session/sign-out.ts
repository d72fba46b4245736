import type { QueryClient } from '@tanstack/react-query';
import { api, call } from '../api/client.ts';
import { meKey } from './use-me.ts';

/** Ends the session on the server and forgets every cached answer of this user (even when the call fails). */
export async function signOut(queryClient: QueryClient): Promise<void> {
  try {
    await call(api.POST('/api/v1/auth/sign-out'));
  } finally {
    forgetSession(queryClient);
  }
}

/**
 * Drops every cached answer of the signed-out user and marks nobody as signed in. The
 * `me` query itself is updated, not removed: the components watching it must see the change.
 */
export function forgetSession(queryClient: QueryClient): void {
  queryClient.setQueryData(meKey, null);
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== meKey[0] });
}
