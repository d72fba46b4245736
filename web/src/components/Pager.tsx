import { Button, Group, Text } from '@mantine/core';
import type { useCursorPages } from './use-cursor-pages.ts';

/** Previous/next buttons for a cursor-paged list, driven by its `useCursorPages` state. */
export function Pager({
  pages,
  nextCursor,
  label,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
  label: string;
}) {
  const { page, hasPrevious, previous, next } = pages;
  return (
    <Group justify="space-between" mt="sm" aria-label={`${label} pages`} role="navigation">
      <Text size="sm" c="dimmed">
        Page {page}
      </Text>
      <Group gap="xs">
        <Button size="xs" variant="default" disabled={!hasPrevious} onClick={previous}>
          Previous page
        </Button>
        <Button size="xs" variant="default" disabled={!nextCursor} onClick={() => next(nextCursor)}>
          Next page
        </Button>
      </Group>
    </Group>
  );
}
