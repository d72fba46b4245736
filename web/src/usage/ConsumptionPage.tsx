import { AreaChart, BarChart, LineChart } from '@mantine/charts';
import {
  Alert,
  Anchor,
  Group,
  Paper,
  Progress,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { UnitScope } from '../admin/UnitScope.tsx';
import { api, call } from '../api/client.ts';
import type { Me, Quota } from '../api/types.ts';
import { Pager } from '../components/Pager.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { formatBytes, formatDateTime } from '../lib/format.ts';
import { handleLinkClick } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { dateDaysAgo, toChartRows } from './usage-series.ts';

const ranges = { '30': 30, '90': 90, '365': 365 } as const;

/** Consumption of a unit's subtree: today's figures, quota, history charts and the largest sub-units. */
export default function ConsumptionPage(_props: { me: Me }) {
  const unitId = useCurrentUnitId();
  const [range, setRange] = useState<keyof typeof ranges>('30');
  const figures = useQuery({
    queryKey: ['usage', unitId],
    enabled: Boolean(unitId),
    queryFn: () => call(api.GET('/api/v1/business-units/{id}/usage', { params: { path: { id: unitId ?? '' } } })),
  });
  const quota = useQuery({
    queryKey: ['quota', unitId],
    enabled: Boolean(unitId),
    queryFn: () => call(api.GET('/api/v1/business-units/{id}/quota', { params: { path: { id: unitId ?? '' } } })),
  });
  const from = dateDaysAgo(ranges[range] - 1);
  const to = dateDaysAgo(0);
  const history = useQuery({
    queryKey: ['usage-history', unitId, from, to],
    enabled: Boolean(unitId),
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/usage/history', {
          params: { path: { id: unitId ?? '' }, query: { from, to } },
        }),
      ),
  });
  const { rows, unit } = toChartRows(history.data?.days ?? []);
  const current = figures.data?.figures;
  return (
    <Stack>
      <Title order={1} size="h2">
        Consumption
      </Title>
      <UnitScope unitId={unitId} />
      <QueryState isLoading={figures.isLoading} error={figures.error} label="consumption" />
      {current ? (
        <SimpleGrid cols={{ base: 2, md: 3, xl: 6 }} data-testid="usage-figures">
          <Figure label="Protected" value={formatBytes(current.protectedBytes)} />
          <Figure label="Stored" value={formatBytes(current.storedBytes)} />
          <Figure label="Transferred today" value={formatBytes(current.transferredBytes)} />
          <Figure label="Clients" value={String(current.clientCount)} />
          <Figure label="Data sources" value={String(current.dataSourceCount)} />
          <Figure label="Snapshots" value={String(current.snapshotCount)} />
        </SimpleGrid>
      ) : null}
      {current?.asOf ? (
        <Text size="xs" c="dimmed">
          Measured {formatDateTime(current.asOf)}
        </Text>
      ) : null}
      {quota.data ? <QuotaState quota={quota.data} /> : null}
      <QueryState isLoading={false} error={quota.error} label="the quota" />
      <Group justify="space-between">
        <Title order={2} size="h4">
          History
        </Title>
        <SegmentedControl
          aria-label="Period"
          value={range}
          onChange={(value) => setRange(value as keyof typeof ranges)}
          data={[
            { value: '30', label: '30 days' },
            { value: '90', label: '90 days' },
            { value: '365', label: 'A year' },
          ]}
        />
      </Group>
      <QueryState isLoading={history.isLoading} error={history.error} label="the history" />
      {history.data ? (
        rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            No measurements in this period yet.
          </Text>
        ) : (
          <SimpleGrid cols={{ base: 1, lg: 2 }} data-testid="usage-charts">
            <ChartPanel title={`Protected and stored (${unit})`}>
              <AreaChart
                h={260}
                data={rows}
                dataKey="date"
                series={[
                  { name: 'protected', label: 'Protected', color: 'brand.4' },
                  { name: 'stored', label: 'Stored', color: 'accent.7' },
                ]}
                curveType="monotone"
                withLegend
                valueFormatter={(value) => `${value} ${unit}`}
              />
            </ChartPanel>
            <ChartPanel title={`Transferred per day (${unit})`}>
              <BarChart
                h={260}
                data={rows}
                dataKey="date"
                series={[{ name: 'transferred', label: 'Transferred', color: 'brand.6' }]}
                valueFormatter={(value) => `${value} ${unit}`}
              />
            </ChartPanel>
            <ChartPanel title="Clients and data sources">
              <LineChart
                h={220}
                data={rows}
                dataKey="date"
                series={[
                  { name: 'clients', label: 'Clients', color: 'brand.6' },
                  { name: 'dataSources', label: 'Data sources', color: 'accent.6' },
                ]}
                withLegend
              />
            </ChartPanel>
            <ChartPanel title="Snapshots">
              <LineChart
                h={220}
                data={rows}
                dataKey="date"
                series={[{ name: 'snapshots', label: 'Snapshots', color: 'brand.6' }]}
              />
            </ChartPanel>
          </SimpleGrid>
        )
      ) : null}
      {unitId ? <TopConsumers unitId={unitId} /> : null}
    </Stack>
  );
}

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p="sm" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
    </Paper>
  );
}

function ChartPanel({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md" role="figure" aria-label={title}>
      <Text fw={600} size="sm" mb="xs">
        {title}
      </Text>
      {children}
    </Paper>
  );
}

function QuotaState({ quota }: { quota: Quota }) {
  if (quota.hardBytes === null && quota.softBytes === null) {
    return (
      <Text size="sm" c="dimmed" data-testid="quota-state">
        No storage quota applies here.
      </Text>
    );
  }
  const limit = quota.hardBytes ?? quota.softBytes ?? 1;
  const percent = Math.min(100, (quota.usedBytes / Math.max(1, limit)) * 100);
  const color = quota.state === 'hard_exceeded' ? 'red' : quota.state === 'soft_exceeded' ? 'orange' : 'green';
  return (
    <Paper withBorder p="md" radius="md" data-testid="quota-state">
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600}>Storage quota</Text>
          <Text size="sm">
            {formatBytes(quota.usedBytes)} of {formatBytes(quota.hardBytes)} (soft threshold{' '}
            {formatBytes(quota.softBytes)})
          </Text>
        </Group>
        <Progress value={percent} color={color} aria-label="Share of the quota used" />
        {quota.state !== 'ok' ? (
          <Alert color={color} variant="light" role="status">
            {quota.state === 'hard_exceeded'
              ? 'The hard limit is reached: new backups are refused.'
              : 'The soft threshold is passed: the overage is allowed until the hard limit.'}
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}

const consumerSorts = [
  { value: 'storedBytes', label: 'Stored' },
  { value: 'protectedBytes', label: 'Protected' },
  { value: 'transferredBytes', label: 'Transferred' },
  { value: 'clientCount', label: 'Clients' },
] as const;
type ConsumerSort = (typeof consumerSorts)[number]['value'];

/** The unit's direct sub-units, largest first by the chosen figure (one API call per page). */
function TopConsumers({ unitId }: { unitId: string }) {
  const [sort, setSort] = useState<ConsumerSort>('storedBytes');
  const pages = useCursorPages(JSON.stringify([unitId, sort]));
  const children = useQuery({
    queryKey: ['usage-children', unitId, sort, pages.cursor],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/usage/children', {
          params: {
            path: { id: unitId },
            query: { sort, limit: 10, ...(pages.cursor ? { cursor: pages.cursor } : {}) },
          },
        }),
      ),
  });
  if (children.error) return <QueryState isLoading={false} error={children.error} label="the sub-units" />;
  if (!children.data || (children.data.items.length === 0 && !pages.hasPrevious)) return null;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={2} size="h4">
          Largest sub-units
        </Title>
        <SegmentedControl
          aria-label="Largest by"
          value={sort}
          onChange={(value) => setSort(value as ConsumerSort)}
          data={consumerSorts.map((s) => ({ value: s.value, label: s.label }))}
        />
      </Group>
      <Table striped data-testid="top-consumers">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Unit</Table.Th>
            <Table.Th>Stored</Table.Th>
            <Table.Th>Protected</Table.Th>
            <Table.Th>Transferred today</Table.Th>
            <Table.Th>Clients</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {children.data.items.map(({ buId, name, figures }) => {
            const to = buildPath('/consumption', {}, { unit: buId });
            return (
              <Table.Tr key={buId}>
                <Table.Td>
                  <Anchor href={to} size="sm" onClick={(event) => handleLinkClick(event, to)}>
                    {name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{formatBytes(figures.storedBytes)}</Table.Td>
                <Table.Td>{formatBytes(figures.protectedBytes)}</Table.Td>
                <Table.Td>{formatBytes(figures.transferredBytes)}</Table.Td>
                <Table.Td>{figures.clientCount}</Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <Pager label="Sub-units" pages={pages} nextCursor={children.data.nextCursor} />
    </Stack>
  );
}
