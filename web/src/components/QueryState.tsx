import { Alert, Center, Loader } from '@mantine/core';
import { ApiError, problemText } from '../api/problem.ts';

/** Readable text for any error a query or mutation can throw. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return problemText(error.problem);
  return error instanceof Error ? error.message : String(error);
}

/** The loading spinner or the error of a query; nothing once data is there. */
export function QueryState({ isLoading, error, label }: { isLoading: boolean; error: unknown; label: string }) {
  if (error) {
    return (
      <Alert color="red" variant="light" title={`Could not load ${label}`} role="alert">
        {errorText(error)}
      </Alert>
    );
  }
  if (isLoading) {
    return (
      <Center py="lg">
        <Loader size="sm" aria-label={`Loading ${label}`} />
      </Center>
    );
  }
  return null;
}
