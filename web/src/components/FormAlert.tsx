import { Alert } from '@mantine/core';

/** A form-level message (what the API said that concerns no single field). Announced to screen readers. */
export function FormAlert({ message, title = 'Not saved' }: { message: string | null; title?: string }) {
  if (!message) return null;
  return (
    <Alert color="red" variant="light" title={title} role="alert" data-testid="form-alert">
      {message}
    </Alert>
  );
}
