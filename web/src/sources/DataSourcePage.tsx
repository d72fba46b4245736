import {
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Code,
  CopyButton,
  Group,
  NumberInput,
  Paper,
  Progress,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { DataSource, EnrolmentToken, Job, Me } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { Pager } from '../components/Pager.tsx';
import { errorText, QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { formatBytes, formatDateTime } from '../lib/format.ts';
import { handleLinkClick, navigate, setQuery, useLocation } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { HealthCell } from './DataSourcesPage.tsx';
import { enrolCommand, type JobStatus, jobColors } from './health.ts';

const tabs = ['overview', 'jobs', 'snapshots', 'restore', 'policy'] as const;
type Tab = (typeof tabs)[number];

/** One data source: health, enrolment, backups on demand, job history, snapshots, restore and policy. */
export default function DataSourcePage({ params, me }: { params: Record<string, string>; me: Me }) {
  const id = params.id ?? '';
  const { query } = useLocation();
  const requested = query.get('tab') as Tab | null;
  const tab: Tab = requested && tabs.includes(requested) ? requested : 'overview';
  const source = useQuery({
    queryKey: ['data-source', id],
    queryFn: () => call(api.GET('/api/v1/data-sources/{id}', { params: { path: { id } } })),
    // Pending: watch for enrolment; otherwise keep the health current.
    refetchInterval: (q) => (q.state.data?.status === 'pending' ? 3000 : 15_000),
  });
  if (!source.data) return <QueryState isLoading={source.isLoading} error={source.error} label="the data source" />;
  const current = source.data;
  const list = buildPath('/sources', {}, { unit: current.buId });
  return (
    <Stack>
      <Breadcrumbs separator="›">
        <Anchor href={list} onClick={(event) => handleLinkClick(event, list)} size="sm">
          Data sources
        </Anchor>
        <Text size="sm">{current.name}</Text>
      </Breadcrumbs>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={1} size="h2" data-testid="source-title">
            {current.name}
          </Title>
          <Badge variant="light" color={current.status === 'active' ? 'green' : 'gray'} data-testid="source-status">
            {current.status === 'pending' ? 'not enrolled' : current.status}
          </Badge>
        </Group>
        {hasPrivilege(me, 'backup.run') && current.status === 'active' ? <BackupNow source={current} /> : null}
      </Group>
      <Tabs
        value={tab}
        onChange={(value) =>
          setQuery({ tab: value === 'overview' ? undefined : (value ?? undefined) }, { replace: true })
        }
        keepMounted={false}
      >
        <Tabs.List>
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="jobs">Jobs</Tabs.Tab>
          <Tabs.Tab value="snapshots">Snapshots</Tabs.Tab>
          {hasPrivilege(me, 'restore.run') ? <Tabs.Tab value="restore">Restore</Tabs.Tab> : null}
          <Tabs.Tab value="policy">Policy</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview" pt="md">
          <Overview source={current} me={me} />
        </Tabs.Panel>
        <Tabs.Panel value="jobs" pt="md">
          <Jobs source={current} me={me} />
        </Tabs.Panel>
        <Tabs.Panel value="snapshots" pt="md">
          <Snapshots source={current} />
        </Tabs.Panel>
        <Tabs.Panel value="restore" pt="md">
          <RestoreForm source={current} />
        </Tabs.Panel>
        <Tabs.Panel value="policy" pt="md">
          <Policy source={current} me={me} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function BackupNow({ source }: { source: DataSource }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      loading={busy}
      onClick={async () => {
        setBusy(true);
        try {
          await call(api.POST('/api/v1/data-sources/{id}/backups', { params: { path: { id: source.id } }, body: {} }));
          notifications.show({ message: 'Backup queued; the agent starts it at its next poll', color: 'green' });
          await queryClient.invalidateQueries({ queryKey: ['jobs', source.id] });
          await queryClient.invalidateQueries({ queryKey: ['data-source', source.id] });
          setQuery({ tab: 'jobs' }, { replace: true });
        } catch (error) {
          notifications.show({ message: errorText(error), color: 'red', title: 'Backup not started' });
        } finally {
          setBusy(false);
        }
      }}
    >
      Back up now
    </Button>
  );
}

function Overview({ source, me }: { source: DataSource; me: Me }) {
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <Paper withBorder p="md" radius="md">
        <Table variant="vertical" layout="fixed">
          <Table.Tbody>
            <Table.Tr>
              <Table.Th w={160}>Health</Table.Th>
              <Table.Td>
                <HealthCell source={source} />
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Host</Table.Th>
              <Table.Td>
                {source.hostname} {source.os ? `(${source.os})` : ''}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Unit</Table.Th>
              <Table.Td>
                <UnitName id={source.buId} />
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Enrolled</Table.Th>
              <Table.Td>{formatDateTime(source.enrolledAt)}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Agent last seen</Table.Th>
              <Table.Td>
                {formatDateTime(source.lastSeenAt)} {source.agentVersion ? `(agent ${source.agentVersion})` : ''}
              </Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th>Vault</Table.Th>
              <Table.Td>
                <Code>{source.vaultId}</Code>
              </Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Paper>
      <Stack>
        {hasPrivilege(me, 'datasource.update') && source.status !== 'retired' ? <Enrolment source={source} /> : null}
        {hasPrivilege(me, 'datasource.delete') && source.status !== 'retired' ? <Retire source={source} /> : null}
      </Stack>
    </SimpleGrid>
  );
}

/** Enrolment starts from the server's configured public address (COFFER_PUBLIC_URL), which may be overridden. */
function Enrolment({ source }: { source: DataSource }) {
  const address = useQuery({
    queryKey: ['server', 'public-address'],
    staleTime: 5 * 60_000,
    queryFn: () => call(api.GET('/api/v1/server/public-address')),
  });
  if (address.isLoading) return <QueryState isLoading label="the server address" error={null} />;
  const fallback = window.location.protocol === 'https:' ? window.location.origin : '';
  return <EnrolmentForm source={source} defaultServerUrl={address.data?.publicUrl ?? fallback} />;
}

function EnrolmentForm({ source, defaultServerUrl }: { source: DataSource; defaultServerUrl: string }) {
  const [issued, setIssued] = useState<EnrolmentToken | null>(null);
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/data-sources/{id}/enrolment-tokens',
    initialValues: {
      serverUrl: defaultServerUrl,
      ttlMinutes: 60 as number | string,
    },
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      setIssued(
        await call(
          api.POST('/api/v1/data-sources/{id}/enrolment-tokens', {
            params: { path: { id: source.id } },
            body: {
              ...(values.serverUrl.trim() ? { serverUrl: values.serverUrl.trim() } : {}),
              ...(values.ttlMinutes !== '' ? { ttlMinutes: Number(values.ttlMinutes) } : {}),
            },
          }),
        ),
      );
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  const command = issued ? enrolCommand(issued.token, null) : '';
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          {source.status === 'pending' ? 'Enrol the agent' : 'Enrol again (new machine)'}
        </Title>
        <form onSubmit={handleSubmit} noValidate>
          <Stack gap="sm">
            <TextInput
              label="Server address for agents"
              description="The HTTPS address the machine reaches this server at (the server's configured address unless changed here); it goes into the token"
              placeholder="https://backup.example.com:8443"
              {...inputProps('serverUrl')}
            />
            <NumberInput label="Token valid for (minutes)" min={1} max={43_200} {...inputProps('ttlMinutes')} />
            <FormAlert message={general} />
            <Group>
              <Button type="submit" variant={issued ? 'default' : 'filled'} loading={busy}>
                Create enrolment token
              </Button>
            </Group>
          </Stack>
        </form>
        {issued ? (
          <Stack gap="xs">
            <Text size="sm">
              Run on the machine (the token works once, until {formatDateTime(issued.expiresAt)}
              {issued.fingerprint ? '; it pins this server’s certificate' : ''}):
            </Text>
            <Code block data-testid="enrol-command">
              {command}
            </Code>
            {issued.serverUrl ? null : (
              <Text size="xs" c="orange.9">
                The token names no server address: add --server https://… to the command.
              </Text>
            )}
            <Text size="sm">then start the agent with</Text>
            <Code block>coffer agent run</Code>
            <CopyButton value={command}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy}>
                  {copied ? 'Copied' : 'Copy the command'}
                </Button>
              )}
            </CopyButton>
          </Stack>
        ) : null}
      </Stack>
    </Paper>
  );
}

function Retire({ source }: { source: DataSource }) {
  const queryClient = useQueryClient();
  return (
    <Group>
      <ConfirmAction
        label="Retire data source"
        title={`Retire ${source.name}?`}
        message="Its agent stops working and no further backups run. Its snapshots stay until retention removes them."
        onConfirm={async () => {
          await call(api.DELETE('/api/v1/data-sources/{id}', { params: { path: { id: source.id } } }));
          await queryClient.invalidateQueries({ queryKey: ['data-sources'] });
          navigate(buildPath('/sources', {}, { unit: source.buId }));
        }}
      />
    </Group>
  );
}

function JobProgress({ job }: { job: Job }) {
  const progress = (job.progress ?? {}) as { files?: number; bytes?: number; sentBytes?: number };
  return (
    <Stack gap={2}>
      <Progress value={100} striped animated size="sm" aria-label="Running" />
      <Text size="xs" c="dimmed">
        {progress.files ?? 0} files, {formatBytes(progress.bytes ?? 0)} read, {formatBytes(progress.sentBytes ?? 0)}{' '}
        sent
      </Text>
    </Stack>
  );
}

function Jobs({ source, me }: { source: DataSource; me: Me }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<JobStatus | null>(null);
  const [kind, setKind] = useState<'backup' | 'restore' | null>(null);
  const pages = useCursorPages(JSON.stringify([status, kind]));
  const jobs = useQuery({
    queryKey: ['jobs', source.id, status, kind, pages.cursor],
    // Running jobs report progress every two seconds.
    refetchInterval: (q) =>
      (q.state.data?.items ?? []).some((job) => job.status === 'running' || job.status === 'queued') ? 2000 : 10_000,
    queryFn: () =>
      call(
        api.GET('/api/v1/data-sources/{id}/jobs', {
          params: {
            path: { id: source.id },
            query: {
              limit: 25,
              ...(status ? { status } : {}),
              ...(kind ? { kind } : {}),
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
        }),
      ),
  });
  return (
    <Stack>
      <Group>
        <Select
          label="Status"
          placeholder="Any"
          clearable
          data={['queued', 'running', 'success', 'warning', 'failed', 'missed', 'cancelled']}
          value={status}
          onChange={(value) => setStatus(value as JobStatus | null)}
        />
        <Select
          label="Kind"
          placeholder="Any"
          clearable
          data={['backup', 'restore']}
          value={kind}
          onChange={(value) => setKind(value as 'backup' | 'restore' | null)}
        />
      </Group>
      <QueryState isLoading={jobs.isLoading} error={jobs.error} label="jobs" />
      {jobs.data ? (
        <>
          <Table striped data-testid="jobs-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Kind</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Trigger</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Finished</Table.Th>
                <Table.Th>Result</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {jobs.data.items.length === 0 ? <EmptyRow columns={7}>No job yet.</EmptyRow> : null}
              {jobs.data.items.map((job) => {
                const stats = (job.stats ?? {}) as { files?: number; totalBytes?: number; bytesAdded?: number };
                return (
                  <Table.Tr key={job.id} data-status={job.status}>
                    <Table.Td>{job.kind}</Table.Td>
                    <Table.Td>
                      <Badge color={jobColors[job.status]} variant="light">
                        {job.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {job.trigger === 'schedule' ? `schedule ${job.scheduleName ?? ''}` : job.trigger}
                    </Table.Td>
                    <Table.Td>{formatDateTime(job.createdAt)}</Table.Td>
                    <Table.Td>{formatDateTime(job.finishedAt)}</Table.Td>
                    <Table.Td maw={320}>
                      {job.status === 'running' ? <JobProgress job={job} /> : null}
                      {job.error ? (
                        <Text size="xs" c="red.8">
                          {job.error}
                        </Text>
                      ) : null}
                      {job.stats ? (
                        <Text size="xs">
                          {stats.files ?? 0} files, {formatBytes(stats.totalBytes)}; {formatBytes(stats.bytesAdded)} new
                        </Text>
                      ) : null}
                      {job.warnings.length > 0 ? (
                        <Text size="xs" c="yellow.9">
                          {job.warnings.length} warning{job.warnings.length === 1 ? '' : 's'}: {job.warnings[0]?.path}{' '}
                          {job.warnings[0]?.error}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      {(job.status === 'queued' || job.status === 'running') && hasPrivilege(me, 'backup.run') ? (
                        <ConfirmAction
                          size="xs"
                          label="Cancel"
                          title="Cancel this job?"
                          message="The agent stops it at its next progress report."
                          onConfirm={async () => {
                            await call(
                              api.POST('/api/v1/jobs/{id}/cancel', { params: { path: { id: job.id } }, body: {} }),
                            );
                            await queryClient.invalidateQueries({ queryKey: ['jobs', source.id] });
                          }}
                        />
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
          <Pager label="Jobs" pages={pages} nextCursor={jobs.data.nextCursor} />
        </>
      ) : null}
    </Stack>
  );
}

function Snapshots({ source }: { source: DataSource }) {
  const pages = useCursorPages(source.id);
  const snapshots = useQuery({
    queryKey: ['snapshots', source.id, 'page', pages.cursor],
    queryFn: () =>
      call(
        api.GET('/api/v1/data-sources/{id}/snapshots', {
          params: { path: { id: source.id }, query: { limit: 25, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
  });
  if (!snapshots.data) return <QueryState isLoading={snapshots.isLoading} error={snapshots.error} label="snapshots" />;
  return (
    <Stack>
      <Table striped data-testid="snapshots-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Time</Table.Th>
            <Table.Th>Protected</Table.Th>
            <Table.Th>Stored</Table.Th>
            <Table.Th>New in this snapshot</Table.Th>
            <Table.Th>Identifier</Table.Th>
            <Table.Th aria-label="Actions" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {snapshots.data.items.length === 0 ? <EmptyRow columns={6}>No snapshot yet.</EmptyRow> : null}
          {snapshots.data.items.map((snapshot) => (
            <Table.Tr key={snapshot.id}>
              <Table.Td>{formatDateTime(snapshot.time)}</Table.Td>
              <Table.Td>{formatBytes(snapshot.plainBytes)}</Table.Td>
              <Table.Td>{formatBytes(snapshot.storedBytes)}</Table.Td>
              <Table.Td>{formatBytes(snapshot.uniqueBytes)}</Table.Td>
              <Table.Td>
                <Code>{snapshot.id.slice(0, 12)}</Code>
              </Table.Td>
              <Table.Td>
                <Button size="xs" variant="default" onClick={() => setQuery({ tab: 'restore', snapshot: snapshot.id })}>
                  Restore…
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Pager label="Snapshots" pages={pages} nextCursor={snapshots.data.nextCursor} />
    </Stack>
  );
}

/**
 * Restore: choose a snapshot, the files or folders (file names are encrypted, so the server
 * cannot list them: they are typed), the machine and the folder to restore to.
 */
function RestoreForm({ source }: { source: DataSource }) {
  const queryClient = useQueryClient();
  const { query } = useLocation();
  const [busy, setBusy] = useState(false);
  const [started, setStarted] = useState<Job | null>(null);
  const snapshots = useQuery({
    queryKey: ['snapshots', source.id],
    queryFn: () =>
      call(
        api.GET('/api/v1/data-sources/{id}/snapshots', { params: { path: { id: source.id }, query: { limit: 100 } } }),
      ),
  });
  const targets = useQuery({
    queryKey: ['data-sources', source.buId, 'restore-targets'],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/data-sources', {
          params: { path: { id: source.buId }, query: { subtree: true, limit: 200 } },
        }),
      ),
  });
  const { form, general, showProblem } = useApiForm({
    operation: 'POST /api/v1/data-sources/{id}/restores',
    initialValues: {
      snapshot: query.get('snapshot') ?? 'latest',
      paths: '',
      target: '',
      targetDataSourceId: source.id,
    },
    fields: ['snapshot', 'target', 'targetDataSourceId'],
    problemFields: ['paths'],
    extraChecks: (values) => {
      const bad = values.paths
        .split('\n')
        .map((line) => line.trim())
        .find((line) => line !== '' && !line.startsWith('/'));
      return bad ? { paths: `${bad} is not an absolute path (it starts with /)` } : {};
    },
  });
  const job = useQuery({
    queryKey: ['job', started?.id],
    enabled: Boolean(started),
    refetchInterval: (q) => (q.state.data && !['queued', 'running'].includes(q.state.data.status) ? false : 2000),
    queryFn: () => call(api.GET('/api/v1/jobs/{id}', { params: { path: { id: started?.id ?? '' } } })),
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const paths = values.paths
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      const created = await call(
        api.POST('/api/v1/data-sources/{id}/restores', {
          params: { path: { id: source.id } },
          body: {
            snapshot: values.snapshot,
            ...(paths.length > 0 ? { paths } : {}),
            ...(values.target.trim() ? { target: values.target.trim() } : {}),
            ...(values.targetDataSourceId && values.targetDataSourceId !== source.id
              ? { targetDataSourceId: values.targetDataSourceId }
              : {}),
          },
        }),
      );
      setStarted(created);
      await queryClient.invalidateQueries({ queryKey: ['jobs', source.id] });
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  const snapshotChoices = [
    { value: 'latest', label: 'The latest snapshot' },
    ...(snapshots.data?.items ?? []).map((s) => ({
      value: s.id,
      label: `${formatDateTime(s.time)} (${formatBytes(s.plainBytes)})`,
    })),
  ];
  const targetChoices = (targets.data?.items ?? [])
    .filter((t) => t.status === 'active')
    .map((t) => ({ value: t.id, label: t.id === source.id ? `${t.name} (this machine)` : t.name }));
  const current = job.data ?? started;
  return (
    <Stack maw={720}>
      <QueryState isLoading={false} error={snapshots.error} label="the snapshots" />
      <QueryState isLoading={false} error={targets.error} label="the machines to restore to" />
      <form onSubmit={handleSubmit} noValidate aria-label="Restore">
        <Stack>
          <Select label="Snapshot" data={snapshotChoices} {...form.getInputProps('snapshot')} allowDeselect={false} />
          <Textarea
            label="Files and folders"
            description="Absolute paths as backed up, one per line; empty restores everything. File names are encrypted on the server, so they cannot be browsed here."
            autosize
            minRows={2}
            ff="monospace"
            {...form.getInputProps('paths')}
          />
          <Select
            label="Restore to machine"
            data={targetChoices}
            searchable
            {...form.getInputProps('targetDataSourceId')}
            allowDeselect={false}
          />
          <TextInput
            label="Restore into folder"
            description="Absolute path on that machine; empty restores to the original place"
            {...form.getInputProps('target')}
          />
          <FormAlert message={general} title="Restore not started" />
          <Group>
            <Button type="submit" loading={busy}>
              Start restore
            </Button>
          </Group>
        </Stack>
      </form>
      {current ? (
        <Alert
          color={jobColors[current.status]}
          title={`Restore ${current.status}`}
          role="status"
          data-testid="restore-status"
          data-status={current.status}
        >
          {current.status === 'running' ? <JobProgress job={current} /> : null}
          {current.error ??
            (current.status === 'success' ? 'The files are back.' : 'The agent picks the job up at its next poll.')}
        </Alert>
      ) : null}
    </Stack>
  );
}

function Policy({ source, me }: { source: DataSource; me: Me }) {
  const queryClient = useQueryClient();
  const policy = useQuery({
    queryKey: ['policy', source.id],
    queryFn: () => call(api.GET('/api/v1/data-sources/{id}/policy', { params: { path: { id: source.id } } })),
  });
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!policy.data) return <QueryState isLoading={policy.isLoading} error={policy.error} label="the policy" />;
  const canEdit = hasPrivilege(me, 'datasource.update');
  const overrideText = text ?? JSON.stringify(source.policyOverride ?? {}, null, 2);
  async function save(value: Record<string, unknown> | null) {
    setError(null);
    try {
      await call(
        api.PATCH('/api/v1/data-sources/{id}', { params: { path: { id: source.id } }, body: { policy: value } }),
      );
      await queryClient.invalidateQueries({ queryKey: ['policy', source.id] });
      await queryClient.invalidateQueries({ queryKey: ['data-source', source.id] });
      setText(null);
      notifications.show({ message: 'Policy saved', color: 'green' });
    } catch (caught) {
      setError(errorText(caught));
    }
  }
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <Stack gap="xs">
        <Title order={2} size="h5">
          Policy in force
        </Title>
        <Text size="sm">
          From unit {policy.data.sourceBuId ? <UnitName id={policy.data.sourceBuId} /> : 'defaults'}
          {policy.data.overridden.length > 0 ? `; this machine overrides ${policy.data.overridden.join(', ')}` : ''}
        </Text>
        <Code block data-testid="effective-policy">
          {JSON.stringify(policy.data.policy, null, 2)}
        </Code>
      </Stack>
      {canEdit ? (
        <Stack gap="xs">
          <Title order={2} size="h5">
            This machine's overrides
          </Title>
          <Textarea
            label="Override (JSON)"
            description="Only the fields set here replace the unit's policy, e.g. paths or schedules"
            autosize
            minRows={6}
            ff="monospace"
            value={overrideText}
            onChange={(event) => setText(event.currentTarget.value)}
            error={error}
          />
          <Group>
            <Button
              onClick={() => {
                try {
                  void save(JSON.parse(overrideText) as Record<string, unknown>);
                } catch {
                  setError('is not valid JSON');
                }
              }}
            >
              Save overrides
            </Button>
            {source.policyOverride ? (
              <ConfirmAction
                label="Remove overrides"
                title="Use the unit's policy again?"
                message="The machine then follows its unit's protection policy only."
                onConfirm={() => save(null)}
              />
            ) : null}
          </Group>
        </Stack>
      ) : null}
    </SimpleGrid>
  );
}
