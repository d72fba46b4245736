import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { ApiKey, Me } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { Pager } from '../components/Pager.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { formatDateTime } from '../lib/format.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { UnitScope } from './UnitScope.tsx';
import { useRoles } from './use-roles.ts';

/** API keys scoped to a unit's subtree: list (server paging), creation with the token shown once, revocation. */
export default function ApiKeysPage({ me }: { me: Me }) {
  const unitId = useCurrentUnitId();
  const [subtree, setSubtree] = useState(true);
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const [creating, setCreating] = useState(false);
  const pages = useCursorPages(JSON.stringify([unitId, subtree, includeRevoked]));
  const keys = useQuery({
    queryKey: ['api-keys', unitId, subtree, includeRevoked, pages.cursor],
    enabled: Boolean(unitId),
    queryFn: () =>
      call(
        api.GET('/api/v1/api-keys', {
          params: {
            query: {
              buId: unitId ?? '',
              subtree,
              includeRevoked,
              limit: 25,
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
        }),
      ),
  });
  const roles = useRoles(unitId);
  const roleNames = new Map((roles.data?.items ?? []).map((role) => [role.id, role.name]));
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          API keys
        </Title>
        {hasPrivilege(me, 'apikey.create') ? <Button onClick={() => setCreating(true)}>Create API key</Button> : null}
      </Group>
      <Group align="flex-end">
        <UnitScope unitId={unitId} subtree={subtree} onSubtreeChange={setSubtree} />
        <Switch
          label="Show revoked and expired"
          checked={includeRevoked}
          onChange={(event) => setIncludeRevoked(event.currentTarget.checked)}
          mb={8}
        />
      </Group>
      <QueryState isLoading={keys.isLoading} error={keys.error} label="API keys" />
      {keys.data ? (
        <>
          <Table striped data-testid="api-keys-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Prefix</Table.Th>
                <Table.Th>Scope</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>Last used</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {keys.data.items.length === 0 ? <EmptyRow columns={8}>No API key.</EmptyRow> : null}
              {keys.data.items.map((key) => (
                <Table.Tr key={key.id}>
                  <Table.Td>{key.name}</Table.Td>
                  <Table.Td>
                    <Code>{key.prefix}</Code>
                  </Table.Td>
                  <Table.Td>
                    <UnitName id={key.buId} />
                  </Table.Td>
                  <Table.Td>{roleNames.get(key.roleId) ?? key.roleId}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={key.status === 'active' ? 'green' : 'gray'}>
                      {key.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(key.expiresAt)}</Table.Td>
                  <Table.Td>{formatDateTime(key.lastUsedAt)}</Table.Td>
                  <Table.Td>
                    {key.status === 'active' && hasPrivilege(me, 'apikey.delete') ? <RevokeKey apiKey={key} /> : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager label="API keys" pages={pages} nextCursor={keys.data.nextCursor} />
        </>
      ) : null}
      <Modal opened={creating} onClose={() => setCreating(false)} title="Create an API key" size="lg">
        {creating && unitId ? <CreateKeyForm unitId={unitId} onDone={() => setCreating(false)} /> : null}
      </Modal>
    </Stack>
  );
}

function RevokeKey({ apiKey }: { apiKey: ApiKey }) {
  const queryClient = useQueryClient();
  return (
    <ConfirmAction
      size="xs"
      label="Revoke"
      title={`Revoke ${apiKey.name}?`}
      message="The next request with this key fails. Integrations using it stop working."
      onConfirm={async () => {
        await call(api.DELETE('/api/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: apiKey.id } } }));
        await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
      }}
    />
  );
}

function CreateKeyForm({ unitId, onDone }: { unitId: string; onDone(): void }) {
  const queryClient = useQueryClient();
  const roles = useRoles(unitId);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState<string | null>(null);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/api-keys',
    initialValues: { name: '', roleId: '', expiresInDays: 90 as number | string, allowedCidrs: '' },
    fields: ['name', 'roleId', 'expiresInDays'],
    problemFields: ['allowedCidrs'],
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const cidrs = values.allowedCidrs
        .split(/[\s,]+/)
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
      const answer = await call(
        api.POST('/api/v1/api-keys', {
          body: {
            name: values.name.trim(),
            buId: unitId,
            roleId: values.roleId,
            ...(values.expiresInDays !== '' ? { expiresInDays: Number(values.expiresInDays) } : {}),
            ...(cidrs.length > 0 ? { allowedCidrs: cidrs } : {}),
          },
        }),
      );
      setToken(answer.token);
      await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  if (token) {
    return (
      <Stack>
        <Alert color="yellow" title="Copy the key now" role="status">
          This is the only time the key is shown. Store it in the integration's secret store.
        </Alert>
        <Code block data-testid="api-key-token">
          {token}
        </Code>
        <Group>
          <CopyButton value={token}>
            {({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy key'}</Button>}
          </CopyButton>
          <Button variant="default" onClick={onDone}>
            Done
          </Button>
        </Group>
      </Stack>
    );
  }
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack>
        <Text size="sm">
          The key acts for you, limited to <UnitName id={unitId} /> and below, with the role you choose.
        </Text>
        <TextInput label="Name" description="What the key is for, e.g. the PSA integration" {...inputProps('name')} />
        <Select
          label="Role"
          data={(roles.data?.items ?? []).map((role) => ({ value: role.id, label: role.name }))}
          {...inputProps('roleId')}
        />
        <NumberInput label="Valid for (days)" min={1} max={730} {...inputProps('expiresInDays')} />
        <TextInput
          label="Allowed addresses"
          description="Optional: IP addresses or CIDR ranges, separated by commas"
          {...form.getInputProps('allowedCidrs')}
        />
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Create key
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
