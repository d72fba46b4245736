import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { UnitScope } from '../admin/UnitScope.tsx';
import { api, call } from '../api/client.ts';
import type { DataSource, Me } from '../api/types.ts';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { Pager } from '../components/Pager.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { handleLinkClick, navigate } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { formatAge, type HealthFilter, healthColors, healthFilters, healthOf } from './health.ts';

/** Data sources of a unit's subtree with their health; new ones are created here (then enrolled). */
export default function DataSourcesPage({ me }: { me: Me }) {
  const unitId = useCurrentUnitId();
  const [subtree, setSubtree] = useState(true);
  const [includeRetired, setIncludeRetired] = useState(false);
  const [health, setHealth] = useState<HealthFilter | null>(null);
  const [creating, setCreating] = useState(false);
  const pages = useCursorPages(JSON.stringify([unitId, subtree, includeRetired, health]));
  const sources = useQuery({
    queryKey: ['data-sources', unitId, subtree, includeRetired, health, pages.cursor],
    refetchInterval: 15_000,
    enabled: Boolean(unitId),
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/data-sources', {
          params: {
            path: { id: unitId ?? '' },
            query: {
              subtree,
              includeRetired,
              limit: 25,
              ...(health ? { health } : {}),
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
        }),
      ),
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Data sources
        </Title>
        {hasPrivilege(me, 'datasource.create') ? (
          <Button onClick={() => setCreating(true)}>Add data source</Button>
        ) : null}
      </Group>
      <Group align="flex-end">
        <UnitScope unitId={unitId} subtree={subtree} onSubtreeChange={setSubtree} />
        <Select
          label="Health"
          placeholder="Any"
          data={healthFilters.map((filter) => ({ value: filter.value, label: filter.label }))}
          value={health}
          onChange={(value) => setHealth(value as HealthFilter | null)}
          clearable
          w={180}
        />
        <Switch
          label="Show retired"
          checked={includeRetired}
          onChange={(event) => setIncludeRetired(event.currentTarget.checked)}
          mb={8}
        />
      </Group>
      <QueryState isLoading={sources.isLoading} error={sources.error} label="data sources" />
      {sources.data ? (
        <>
          <Table striped highlightOnHover data-testid="data-sources-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Host</Table.Th>
                <Table.Th>Unit</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Last backup</Table.Th>
                <Table.Th>Agent seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sources.data.items.length === 0 ? (
                <EmptyRow columns={6}>{health ? 'No data source in this state.' : 'No data source here yet.'}</EmptyRow>
              ) : null}
              {sources.data.items.map((source) => {
                const to = buildPath('/sources/:id', { id: source.id });
                return (
                  <Table.Tr key={source.id}>
                    <Table.Td>
                      <Anchor href={to} onClick={(event) => handleLinkClick(event, to)} size="sm">
                        {source.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      {source.hostname}
                      {source.os ? (
                        <Text span size="xs" c="dimmed">
                          {' '}
                          {source.os}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <UnitName id={source.buId} />
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={source.status === 'active' ? 'green' : 'gray'}>
                        {source.status === 'pending' ? 'not enrolled' : source.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <HealthCell source={source} />
                    </Table.Td>
                    <Table.Td>
                      {source.lastSeenAt
                        ? formatAge((Date.now() - Date.parse(source.lastSeenAt)) / 3_600_000)
                        : 'never'}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
          <Pager label="Data sources" pages={pages} nextCursor={sources.data.nextCursor} />
        </>
      ) : null}
      <Modal opened={creating} onClose={() => setCreating(false)} title="Add a data source" size="lg">
        {creating && unitId ? <CreateSourceForm unitId={unitId} onDone={() => setCreating(false)} /> : null}
      </Modal>
    </Stack>
  );
}

/** The last backup's outcome and age, runs missed since and a running job, as the API lists them. */
export function HealthCell({ source }: { source: Pick<DataSource, 'health'> }) {
  const health = healthOf(source.health, Date.now());
  const label =
    health.state === 'never'
      ? 'no backup yet'
      : `${health.lastStatus ?? 'missed'}, ${formatAge(health.ageHours)}${health.missedSince > 0 ? `, ${health.missedSince} failed or missed since the last good one` : ''}`;
  return (
    <Group gap={6} wrap="nowrap" data-testid="source-health">
      <Tooltip
        label={`Health: ${health.state}${health.goodAgeHours !== null ? `; last good backup ${formatAge(health.goodAgeHours)}` : ''}`}
      >
        <Badge variant="dot" color={healthColors[health.state]}>
          {health.state}
        </Badge>
      </Tooltip>
      <Text size="sm">{label}</Text>
      {health.running ? (
        <Badge size="xs" color="blue" variant="light">
          running
        </Badge>
      ) : null}
    </Group>
  );
}

function CreateSourceForm({ unitId, onDone }: { unitId: string; onDone(): void }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/data-sources',
    initialValues: { hostname: '', os: '', name: '', paths: '' },
    fields: ['hostname', 'os', 'name'],
    problemFields: ['policy'],
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const paths = values.paths
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      const created = await call(
        api.POST('/api/v1/data-sources', {
          body: {
            buId: unitId,
            hostname: values.hostname.trim(),
            ...(values.os.trim() ? { os: values.os.trim() } : {}),
            ...(values.name.trim() ? { name: values.name.trim() } : {}),
            ...(paths.length > 0 ? { policy: { paths } } : {}),
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['data-sources'] });
      notifications.show({ message: `${created.name} added; enrol its agent next`, color: 'green' });
      onDone();
      navigate(buildPath('/sources/:id', { id: created.id }));
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack>
        <Text size="sm">
          In unit <UnitName id={unitId} />. The name follows the unit's naming rule when left empty.
        </Text>
        <TextInput label="Host name" description="The machine's name, e.g. web01" {...inputProps('hostname')} />
        <TextInput label="Operating system" description="Optional, e.g. linux" {...inputProps('os')} />
        <TextInput label="Name" description="Optional; leave empty to use the naming rule" {...inputProps('name')} />
        <Textarea
          label="Folders to back up"
          description="One absolute path per line; empty keeps the unit's protection policy"
          autosize
          minRows={3}
          ff="monospace"
          {...form.getInputProps('paths')}
          error={form.errors.policy}
        />
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Add data source
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
