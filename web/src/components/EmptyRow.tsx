import { Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** The one row a table shows when it has nothing to list (spanning all its columns). */
export function EmptyRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Td colSpan={columns}>
        <Text size="sm" c="dimmed">
          {children}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}
