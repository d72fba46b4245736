import { Badge, Button, Group, Stack, Table, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { Pager } from '../components/Pager.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { formatDateTime } from '../lib/format.ts';
import { formatMoney, formatTotals } from './money.ts';

/** Posted billing runs of a unit, each with its lines and CSV/JSON exports for invoicing. */
export function RunsPanel({ unitId }: { unitId: string }) {
  const [openRun, setOpenRun] = useState<string | null>(null);
  const pages = useCursorPages(unitId);
  const runs = useQuery({
    queryKey: ['billing-runs', unitId, pages.cursor],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/billing/runs', {
          params: { path: { id: unitId }, query: { limit: 25, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
  });
  if (!runs.data) return <QueryState isLoading={runs.isLoading} error={runs.error} label="billing runs" />;
  return (
    <Stack>
      <Table striped data-testid="billing-runs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Run date</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Trigger</Table.Th>
            <Table.Th>Lines</Table.Th>
            <Table.Th>Totals</Table.Th>
            <Table.Th>Posted</Table.Th>
            <Table.Th aria-label="Actions" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runs.data.items.length === 0 ? <EmptyRow columns={7}>No billing run yet.</EmptyRow> : null}
          {runs.data.items.map((run) => (
            <Table.Tr key={run.id}>
              <Table.Td>{run.runDate}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={run.status === 'posted' ? 'green' : 'blue'}>
                  {run.status}
                </Badge>
              </Table.Td>
              <Table.Td>{run.trigger}</Table.Td>
              <Table.Td>{run.lineCount}</Table.Td>
              <Table.Td>{formatTotals(run.totals)}</Table.Td>
              <Table.Td>{formatDateTime(run.postedAt)}</Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap">
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => setOpenRun(openRun === run.id ? null : (run.id ?? null))}
                  >
                    {openRun === run.id ? 'Hide lines' : 'Lines'}
                  </Button>
                  <Button
                    size="xs"
                    variant="subtle"
                    component="a"
                    href={`/api/v1/billing/runs/${run.id}/export?format=csv`}
                    download
                  >
                    CSV
                  </Button>
                  <Button
                    size="xs"
                    variant="subtle"
                    component="a"
                    href={`/api/v1/billing/runs/${run.id}/export?format=json`}
                    download
                  >
                    JSON
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Pager label="Billing runs" pages={pages} nextCursor={runs.data.nextCursor} />
      {openRun ? <RunLines runId={openRun} /> : null}
    </Stack>
  );
}

function RunLines({ runId }: { runId: string }) {
  const run = useQuery({
    queryKey: ['billing-run', runId],
    queryFn: () => call(api.GET('/api/v1/billing/runs/{id}', { params: { path: { id: runId } } })),
  });
  if (!run.data) return <QueryState isLoading={run.isLoading} error={run.error} label="the run's lines" />;
  return (
    <Stack gap="xs">
      <Title order={2} size="h5">
        Lines of the run of {run.data.run?.runDate}
      </Title>
      <Table withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Customer</Table.Th>
            <Table.Th>Product</Table.Th>
            <Table.Th>Period</Table.Th>
            <Table.Th>Quantity</Table.Th>
            <Table.Th>Amount</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(run.data.lines ?? []).map((line) => (
            <Table.Tr key={line.id}>
              <Table.Td>{line.seq}</Table.Td>
              <Table.Td>{line.kind}</Table.Td>
              <Table.Td>
                <UnitName id={line.customerBuId} />
              </Table.Td>
              <Table.Td>{line.productName}</Table.Td>
              <Table.Td>
                {line.periodStart} – {line.periodEnd}
              </Table.Td>
              <Table.Td>
                {line.quantity} {line.unitLabel}
              </Table.Td>
              <Table.Td>{formatMoney(line.amount, line.currency)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
