import { Alert, Button, Code, Group, Modal, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { AuditEntry, Me, QueryOf } from '../api/types.ts';
import { querySchema } from '../api/types.ts';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { Pager } from '../components/Pager.tsx';
import { errorText, QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { checkFields } from '../forms/schema-rules.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { formatDateTime } from '../lib/format.ts';
import { UnitScope } from './UnitScope.tsx';

type AuditQuery = QueryOf<'/api/v1/audit', 'get'>;
interface Filters {
  action: string;
  actorId: string;
  resourceType: string;
  resourceId: string;
  from: string;
  to: string;
}
const emptyFilters: Filters = { action: '', actorId: '', resourceType: '', resourceId: '', from: '', to: '' };
const filterFields = ['action', 'actorId', 'resourceType', 'resourceId', 'from', 'to'] as const;

/** `datetime-local` input text (the reader's time) → ISO instant; '' stays ''. */
function toInstant(local: string): string {
  if (!local) return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

/** The filters as the API's query values (empty ones left out). */
function queryOf(filters: Filters): Partial<AuditQuery> {
  const query: Record<string, string> = {};
  for (const field of filterFields) {
    const value = field === 'from' || field === 'to' ? toInstant(filters[field]) : filters[field].trim();
    if (value) query[field] = value;
  }
  return query as Partial<AuditQuery>;
}

/** The audit log of a unit's subtree: server-side filters and paging, export, and the hash-chain check. */
export default function AuditPage(_props: { me: Me }) {
  const unitId = useCurrentUnitId();
  const [draft, setDraft] = useState<Filters>(emptyFilters);
  const [filters, setFilters] = useState<Filters>(emptyFilters);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [shown, setShown] = useState<AuditEntry | null>(null);
  const pages = useCursorPages(JSON.stringify([unitId, filters]));

  const entries = useQuery({
    queryKey: ['audit', unitId, filters, pages.cursor],
    enabled: Boolean(unitId),
    queryFn: () =>
      call(
        api.GET('/api/v1/audit', {
          params: {
            query: {
              buId: unitId ?? '',
              limit: 50,
              ...queryOf(filters),
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
        }),
      ),
  });

  function applyFilters() {
    const problems = checkFields(querySchema('GET /api/v1/audit'), queryOf(draft), filterFields);
    setErrors(problems);
    if (Object.keys(problems).length === 0) setFilters(draft);
  }

  const exportQuery = new URLSearchParams({ buId: unitId ?? '', ...(queryOf(filters) as Record<string, string>) });
  const input = (field: keyof Filters) => ({
    value: draft[field],
    onChange: (event: { currentTarget: { value: string } }) =>
      setDraft({ ...draft, [field]: event.currentTarget.value }),
    error: errors[field],
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Audit log
        </Title>
        <Group>
          <Button component="a" variant="default" href={`/api/v1/audit/export?${exportQuery}&format=csv`} download>
            Export CSV
          </Button>
          <Button component="a" variant="default" href={`/api/v1/audit/export?${exportQuery}&format=json`} download>
            Export JSON
          </Button>
          <VerifyChain />
        </Group>
      </Group>
      <UnitScope unitId={unitId} />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          applyFilters();
        }}
        aria-label="Filters"
      >
        <Group align="flex-end">
          <TextInput label="Action" placeholder="e.g. user.* or bu.move" {...input('action')} />
          <TextInput label="Actor id" {...input('actorId')} />
          <TextInput label="Resource type" placeholder="e.g. user" {...input('resourceType')} />
          <TextInput label="Resource id" {...input('resourceId')} />
          <TextInput label="From" type="datetime-local" {...input('from')} />
          <TextInput label="To" type="datetime-local" {...input('to')} />
          <Button type="submit">Filter</Button>
          <Button
            variant="subtle"
            onClick={() => {
              setDraft(emptyFilters);
              setFilters(emptyFilters);
              setErrors({});
            }}
          >
            Clear
          </Button>
        </Group>
      </form>
      <QueryState isLoading={entries.isLoading} error={entries.error} label="the audit log" />
      {entries.data ? (
        <>
          <Table striped highlightOnHover data-testid="audit-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Who</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Unit</Table.Th>
                <Table.Th>Resource</Table.Th>
                <Table.Th>Address</Table.Th>
                <Table.Th aria-label="Details" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.data.items.length === 0 ? <EmptyRow columns={7}>No entry matches.</EmptyRow> : null}
              {entries.data.items.map((entry) => (
                <Table.Tr key={entry.id ?? String(entry.seq)}>
                  <Table.Td>{formatDateTime(entry.at)}</Table.Td>
                  <Table.Td>
                    {entry.actor?.name ?? entry.actor?.type}
                    <Text size="xs" c="dimmed">
                      {entry.actor?.type}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Code>{entry.action}</Code>
                  </Table.Td>
                  <Table.Td>{entry.buId ? <UnitName id={entry.buId} /> : '–'}</Table.Td>
                  <Table.Td>
                    {entry.resource?.type}
                    {entry.resource?.id ? (
                      <Text size="xs" c="dimmed" ff="monospace">
                        {entry.resource.id}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{entry.address ?? '–'}</Table.Td>
                  <Table.Td>
                    <Button size="xs" variant="subtle" onClick={() => setShown(entry)}>
                      Details
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager label="Audit log" pages={pages} nextCursor={entries.data.nextCursor} />
        </>
      ) : null}
      <Modal opened={shown !== null} onClose={() => setShown(null)} title={shown?.action ?? ''} size="xl">
        {shown ? (
          <Stack>
            <Text size="sm">
              Entry {shown.seq} at {formatDateTime(shown.at)}, request {shown.requestId ?? '–'}
            </Text>
            <Text size="sm" fw={600}>
              Before
            </Text>
            <Code block>{JSON.stringify(shown.before ?? null, null, 2)}</Code>
            <Text size="sm" fw={600}>
              After
            </Text>
            <Code block>{JSON.stringify(shown.after ?? null, null, 2)}</Code>
            <Text size="xs" c="dimmed" ff="monospace">
              hash {shown.hash}
              <br />
              previous {shown.prevHash}
            </Text>
          </Stack>
        ) : null}
      </Modal>
    </Stack>
  );
}

/** Recomputes the log's hash chain on the server and says whether any entry was altered or removed. */
function VerifyChain() {
  const [opened, setOpened] = useState(false);
  const check = useQuery({
    queryKey: ['audit-verify'],
    enabled: opened,
    gcTime: 0,
    queryFn: () => call(api.GET('/api/v1/audit/verify')),
  });
  return (
    <>
      <Button
        variant="default"
        onClick={() => {
          setOpened(true);
          void check.refetch();
        }}
      >
        Check integrity
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title="Audit log integrity">
        {check.isFetching ? <QueryState isLoading error={null} label="the check" /> : null}
        {check.error ? <Text c="red.8">{errorText(check.error)}</Text> : null}
        {check.data && !check.isFetching ? (
          check.data.ok ? (
            <Alert color="green" title="The log is intact" role="status" data-testid="audit-verify-result">
              All {check.data.checked} entries (up to number {check.data.headSeq}) chain correctly: none was changed or
              removed.
            </Alert>
          ) : (
            <Alert color="red" title="The log was tampered with" role="alert" data-testid="audit-verify-result">
              The chain breaks at entry {check.data.firstBroken?.seq ?? '?'} (
              {check.data.firstBroken?.reason ?? 'unknown'}
              ). {check.data.checked} entries were checked.
            </Alert>
          )
        ) : null}
      </Modal>
    </>
  );
}
