import { Button, Group, Text } from '@mantine/core';

/** Previous/next buttons for a cursor-paged list. */
export function Pager({
  page,
  hasPrevious,
  nextCursor,
  onPrevious,
  onNext,
  label,
}: {
  page: number;
  hasPrevious: boolean;
  nextCursor: string | null | undefined;
  onPrevious(): void;
  onNext(cursor: string): void;
  label: string;
}) {
  return (
    <Group justify="space-between" mt="sm" aria-label={`${label} pages`} role="navigation">
      <Text size="sm" c="dimmed">
        Page {page}
      </Text>
      <Group gap="xs">
        <Button size="xs" variant="default" disabled={!hasPrevious} onClick={onPrevious}>
          Previous page
        </Button>
        <Button size="xs" variant="default" disabled={!nextCursor} onClick={() => nextCursor && onNext(nextCursor)}>
          Next page
        </Button>
      </Group>
    </Group>
  );
}
