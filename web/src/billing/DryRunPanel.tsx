import { Alert, Badge, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { Me } from '../api/types.ts';
import { querySchema } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { checkFields } from '../forms/schema-rules.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { setQuery } from '../routing/router.tsx';
import { hasPrivilege } from '../session/use-me.ts';
import { formatMoney, formatTotals } from './money.ts';

/** What the next billing run would produce, line by line, with the change against the last period. */
export function DryRunPanel({ unitId, me }: { unitId: string; me: Me }) {
  const queryClient = useQueryClient();
  const [draftDate, setDraftDate] = useState('');
  const [runDate, setRunDate] = useState('');
  const [dateError, setDateError] = useState<string | null>(null);
  const dryRun = useQuery({
    queryKey: ['dry-run', unitId, runDate],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/billing/dry-run', {
          params: { path: { id: unitId }, query: runDate ? { runDate } : {} },
        }),
      ),
  });
  const data = dryRun.data;
  return (
    <Stack>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const problems = checkFields(
            querySchema('GET /api/v1/business-units/{id}/billing/dry-run'),
            { runDate: draftDate },
            ['runDate'],
          );
          setDateError(problems.runDate ?? null);
          if (!problems.runDate) setRunDate(draftDate);
        }}
      >
        <Group align="flex-end">
          <TextInput
            label="Run date"
            description="Empty: the next scheduled run"
            type="date"
            value={draftDate}
            onChange={(event) => setDraftDate(event.currentTarget.value)}
            error={dateError}
          />
          <Button type="submit" variant="default">
            Show the dry run
          </Button>
        </Group>
      </form>
      <QueryState isLoading={dryRun.isLoading} error={dryRun.error} label="the dry run" />
      {data ? (
        <Stack data-testid="dry-run">
          <Group justify="space-between">
            <Text size="sm">
              Run of {data.runDate} with data until {data.dataUntil}: <b>{formatTotals(data.totals)}</b> (last period:{' '}
              {formatTotals(data.previousTotals)})
            </Text>
            {hasPrivilege(me, 'billing.manage') ? (
              <ConfirmAction
                danger={false}
                label="Run billing now"
                title="Post this billing run?"
                message="The lines are posted and exported to invoicing. A rerun for the same date never bills twice."
                onConfirm={async () => {
                  await call(
                    api.POST('/api/v1/business-units/{id}/billing/runs', {
                      params: { path: { id: unitId } },
                      body: runDate ? { runDate } : {},
                    }),
                  );
                  notifications.show({ message: 'Billing run posted', color: 'green' });
                  await queryClient.invalidateQueries({ queryKey: ['billing-runs', unitId] });
                  await queryClient.invalidateQueries({ queryKey: ['dry-run', unitId] });
                  setQuery({ tab: 'runs' });
                }}
              />
            ) : null}
          </Group>
          {(data.lines ?? []).length === 0 ? (
            <Alert color="gray" variant="light">
              Nothing to bill: no contract of this unit has a period ending by then.
            </Alert>
          ) : (
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Customer</Table.Th>
                  <Table.Th>Product</Table.Th>
                  <Table.Th>Period</Table.Th>
                  <Table.Th>Quantity</Table.Th>
                  <Table.Th>Amount</Table.Th>
                  <Table.Th>Against last period</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(data.lines ?? []).map((entry, index) => {
                  const line = entry.line ?? {};
                  return (
                    <Table.Tr key={line.id ?? index}>
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
                      <Table.Td>
                        {entry.previous ? (
                          <Text size="sm">
                            {entry.amountChange !== null && entry.amountChange !== undefined
                              ? `${entry.amountChange >= 0 ? '+' : ''}${formatMoney(entry.amountChange, line.currency)}`
                              : ''}
                            {entry.quantityChange ? ` (quantity ${entry.quantityChange})` : ''}
                          </Text>
                        ) : (
                          <Badge variant="light" size="sm">
                            new
                          </Badge>
                        )}
                        {(entry.reasons ?? []).map((reason) => (
                          <Text key={reason} size="xs" c="dimmed">
                            {reason}
                          </Text>
                        ))}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          )}
          {(data.dropped ?? []).length > 0 ? (
            <Alert color="orange" variant="light" title="Billed last period, not in this run">
              {(data.dropped ?? []).map((entry, index) => (
                <Text key={entry.previous?.id ?? index} size="sm">
                  {entry.previous?.productName}: {entry.reason}
                </Text>
              ))}
            </Alert>
          ) : null}
        </Stack>
      ) : null}
    </Stack>
  );
}
