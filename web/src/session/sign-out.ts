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

/** The public brand of the sign-in page for the address the console was reached through. */
export function signInBrandKey(host: string) {
  return ['sign-in-brand', host] as const;
}

/**
 * Drops every cached answer of the signed-out user and marks nobody as signed in. The
 * `me` query itself is updated, not removed: the components watching it must see the change.
 * The sign-in brand is public and stays, so the sign-in page shows it at once.
 */
export function forgetSession(queryClient: QueryClient): void {
  queryClient.setQueryData(meKey, null);
  queryClient.removeQueries({
    predicate: (query) => query.queryKey[0] !== meKey[0] && query.queryKey[0] !== 'sign-in-brand',
  });
}
