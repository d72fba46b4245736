import {
  Badge,
  Button,
  Code,
  CopyButton,
  Group,
  Menu,
  Modal,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { Me, User } from '../api/types.ts';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { Pager } from '../components/Pager.tsx';
import { errorText, QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { formatDateTime } from '../lib/format.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { UnitScope } from './UnitScope.tsx';
import { useRoles } from './use-roles.ts';

const statuses = ['active', 'invited', 'disabled'] as const;
type Status = (typeof statuses)[number];

/** Users of a unit (and its sub-units): server-side filters and paging, creation, invitations and account actions. */
export default function UsersPage({ me }: { me: Me }) {
  const unitId = useCurrentUnitId();
  const [subtree, setSubtree] = useState(true);
  const [status, setStatus] = useState<Status | null>(null);
  const [roleId, setRoleId] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const pages = useCursorPages(JSON.stringify([unitId, subtree, status, roleId, q]));
  const roles = useRoles(unitId);
  const [creating, setCreating] = useState<'create' | 'invite' | null>(null);
  const [editing, setEditing] = useState<User | null>(null);

  const users = useQuery({
    queryKey: ['users', unitId, subtree, status, roleId, q, pages.cursor],
    enabled: Boolean(unitId),
    queryFn: () =>
      call(
        api.GET('/api/v1/users', {
          params: {
            query: {
              buId: unitId ?? '',
              subtree,
              limit: 25,
              ...(status ? { status } : {}),
              ...(roleId ? { roleId } : {}),
              ...(q ? { q } : {}),
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
        }),
      ),
  });
  const roleNames = new Map((roles.data?.items ?? []).map((role) => [role.id, role.name]));

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Users
        </Title>
        {hasPrivilege(me, 'user.create') ? (
          <Group>
            <Button variant="default" onClick={() => setCreating('invite')}>
              Invite user
            </Button>
            <Button onClick={() => setCreating('create')}>Create user</Button>
          </Group>
        ) : null}
      </Group>
      <UnitScope unitId={unitId} subtree={subtree} onSubtreeChange={setSubtree} />
      <Group align="flex-end">
        <TextInput
          label="Search"
          placeholder="Name or email"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          type="search"
          maxLength={200}
        />
        <Select
          label="Status"
          placeholder="Any"
          clearable
          data={statuses.map((s) => ({ value: s, label: s }))}
          value={status}
          onChange={(value) => setStatus(value as Status | null)}
        />
        <Select
          label="Role"
          placeholder="Any"
          clearable
          data={(roles.data?.items ?? []).map((role) => ({ value: role.id, label: role.name }))}
          value={roleId}
          onChange={setRoleId}
        />
      </Group>
      <QueryState isLoading={users.isLoading} error={users.error} label="users" />
      {users.data ? (
        <>
          <Table striped highlightOnHover data-testid="users-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Unit</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.items.length === 0 ? <EmptyRow columns={7}>No user matches.</EmptyRow> : null}
              {users.data.items.map((user) => (
                <Table.Tr key={user.id}>
                  <Table.Td>{user.displayName}</Table.Td>
                  <Table.Td>{user.email}</Table.Td>
                  <Table.Td>
                    <UnitName id={user.buId} />
                  </Table.Td>
                  <Table.Td>{roleNames.get(user.roleId) ?? user.roleId}</Table.Td>
                  <Table.Td>
                    <Badge
                      variant="light"
                      color={user.status === 'active' ? 'green' : user.status === 'invited' ? 'blue' : 'gray'}
                    >
                      {user.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(user.createdAt)}</Table.Td>
                  <Table.Td>
                    <UserActions user={user} me={me} onEdit={() => setEditing(user)} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager label="Users" pages={pages} nextCursor={users.data.nextCursor} />
        </>
      ) : null}
      <Modal
        opened={creating !== null}
        onClose={() => setCreating(null)}
        title={creating === 'invite' ? 'Invite a user' : 'Create a user'}
        size="lg"
      >
        {creating && unitId ? (
          <CreateUserForm mode={creating} unitId={unitId} onDone={() => setCreating(null)} />
        ) : null}
      </Modal>
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title="Change user" size="lg">
        {editing ? <EditUserForm user={editing} onDone={() => setEditing(null)} /> : null}
      </Modal>
    </Stack>
  );
}

function UserActions({ user, me, onEdit }: { user: User; me: Me; onEdit(): void }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<'delete' | 'reset-mfa' | 'disable' | null>(null);
  const [invitation, setInvitation] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['users'] });
  const path = { params: { path: { userId: user.id } } };
  async function run(action: () => Promise<unknown>, message: string) {
    try {
      await action();
      notifications.show({ message, color: 'green' });
      await refresh();
    } catch (error) {
      notifications.show({ message: errorText(error), color: 'red', title: 'Not done' });
    }
  }
  const canUpdate = hasPrivilege(me, 'user.update');
  const self = user.id === me.user.id;
  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <Button size="xs" variant="default" aria-label={`Actions for ${user.displayName}`}>
            Actions
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          {canUpdate ? <Menu.Item onClick={onEdit}>Change name, email or role</Menu.Item> : null}
          {canUpdate && user.status !== 'disabled' && !self ? (
            <Menu.Item onClick={() => setConfirming('disable')}>Disable</Menu.Item>
          ) : null}
          {canUpdate && user.status === 'disabled' ? (
            <Menu.Item
              onClick={() => void run(() => call(api.POST('/api/v1/users/{userId}/enable', path)), 'User enabled')}
            >
              Enable
            </Menu.Item>
          ) : null}
          {canUpdate ? (
            <Menu.Item
              onClick={() =>
                void run(() => call(api.POST('/api/v1/users/{userId}/unlock', path)), 'Sign-in lockout lifted')
              }
            >
              Lift sign-in lockout
            </Menu.Item>
          ) : null}
          {canUpdate ? (
            <Menu.Item onClick={() => setConfirming('reset-mfa')}>Reset two-step verification</Menu.Item>
          ) : null}
          {hasPrivilege(me, 'user.create') && user.status === 'invited' ? (
            <Menu.Item
              onClick={async () => {
                try {
                  const answer = await call(api.POST('/api/v1/users/{userId}/invitation', path));
                  setInvitation(invitationLink(answer.token));
                } catch (error) {
                  notifications.show({ message: errorText(error), color: 'red' });
                }
              }}
            >
              New invitation link
            </Menu.Item>
          ) : null}
          {hasPrivilege(me, 'user.delete') && !self ? (
            <Menu.Item color="red" onClick={() => setConfirming('delete')}>
              Delete
            </Menu.Item>
          ) : null}
        </Menu.Dropdown>
      </Menu>
      <ConfirmDialog
        opened={confirming === 'delete'}
        onClose={() => setConfirming(null)}
        title={`Delete ${user.displayName}?`}
        message="The account is removed for good; its API keys stop working."
        label="Delete user"
        onConfirm={() => call(api.DELETE('/api/v1/users/{userId}', path)).then(refresh)}
      />
      <ConfirmDialog
        opened={confirming === 'disable'}
        onClose={() => setConfirming(null)}
        title={`Disable ${user.displayName}?`}
        message="All sessions end and all API keys of the user are revoked at once."
        label="Disable user"
        onConfirm={() => call(api.POST('/api/v1/users/{userId}/disable', path)).then(refresh)}
      />
      <ConfirmDialog
        opened={confirming === 'reset-mfa'}
        onClose={() => setConfirming(null)}
        title={`Reset two-step verification of ${user.displayName}?`}
        message="The authenticator and recovery codes are removed and the user's sessions end (for a lost phone)."
        label="Reset"
        onConfirm={() => call(api.POST('/api/v1/users/{userId}/reset-mfa', path)).then(refresh)}
      />
      <Modal opened={invitation !== null} onClose={() => setInvitation(null)} title="Invitation link">
        {invitation ? <InvitationLink link={invitation} /> : null}
      </Modal>
    </>
  );
}

/** A confirmation dialog opened from a menu (the menu closes before it shows). */
function ConfirmDialog({
  opened,
  onClose,
  title,
  message,
  label,
  onConfirm,
}: {
  opened: boolean;
  onClose(): void;
  title: string;
  message: string;
  label: string;
  onConfirm(): Promise<unknown>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <Stack>
        <Text size="sm">{message}</Text>
        {error ? (
          <Text c="red.8" size="sm" role="alert">
            {error}
          </Text>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            color="red"
            loading={busy}
            data-autofocus
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onConfirm();
                onClose();
              } catch (caught) {
                setError(errorText(caught));
              } finally {
                setBusy(false);
              }
            }}
          >
            {label}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function invitationLink(token: string): string {
  return `${window.location.origin}/invitation?token=${encodeURIComponent(token)}`;
}

function InvitationLink({ link }: { link: string }) {
  return (
    <Stack>
      <Text size="sm">Send this link to the user. It works once, for seven days, and is not shown again.</Text>
      <Code block data-testid="invitation-link">
        {link}
      </Code>
      <CopyButton value={link}>
        {({ copied, copy }) => <Button onClick={copy}>{copied ? 'Copied' : 'Copy link'}</Button>}
      </CopyButton>
    </Stack>
  );
}

function CreateUserForm({ mode, unitId, onDone }: { mode: 'create' | 'invite'; unitId: string; onDone(): void }) {
  const queryClient = useQueryClient();
  const roles = useRoles(unitId);
  const [busy, setBusy] = useState(false);
  const [invitation, setInvitation] = useState<string | null>(null);
  const invite = mode === 'invite';
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: invite ? 'POST /api/v1/users/invitations' : 'POST /api/v1/users',
    initialValues: { email: '', displayName: '', roleId: '', password: '', mustChangePassword: true },
    fields: invite ? ['email', 'displayName', 'roleId'] : ['email', 'displayName', 'roleId', 'password'],
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const base = {
        buId: unitId,
        email: values.email.trim(),
        displayName: values.displayName.trim(),
        roleId: values.roleId,
      };
      if (invite) {
        const answer = await call(api.POST('/api/v1/users/invitations', { body: base }));
        setInvitation(invitationLink(answer.token));
      } else {
        await call(
          api.POST('/api/v1/users', {
            body: { ...base, password: values.password, mustChangePassword: values.mustChangePassword },
          }),
        );
        notifications.show({ message: `${base.displayName} created`, color: 'green' });
        onDone();
      }
      await queryClient.invalidateQueries({ queryKey: ['users'] });
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  if (invitation) return <InvitationLink link={invitation} />;
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack>
        <Text size="sm">
          In unit <UnitName id={unitId} />
        </Text>
        <TextInput label="Name" {...inputProps('displayName')} />
        <TextInput label="Email" type="email" autoComplete="off" {...inputProps('email')} />
        <Select
          label="Role"
          data={(roles.data?.items ?? []).map((role) => ({ value: role.id, label: role.name }))}
          searchable
          {...inputProps('roleId')}
        />
        {invite ? null : (
          <>
            <PasswordInput label="Password" autoComplete="new-password" {...inputProps('password')} />
            <Switch
              label="Must change the password at first sign-in"
              {...form.getInputProps('mustChangePassword', { type: 'checkbox' })}
            />
          </>
        )}
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {invite ? 'Create invitation' : 'Create user'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function EditUserForm({ user, onDone }: { user: User; onDone(): void }) {
  const queryClient = useQueryClient();
  const roles = useRoles(user.buId);
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'PATCH /api/v1/users/{userId}',
    initialValues: { displayName: user.displayName, email: user.email, roleId: user.roleId },
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const body: { displayName?: string; email?: string; roleId?: string } = {};
      if (values.displayName.trim() !== user.displayName) body.displayName = values.displayName.trim();
      if (values.email.trim() !== user.email) body.email = values.email.trim();
      if (values.roleId !== user.roleId) body.roleId = values.roleId;
      await call(api.PATCH('/api/v1/users/{userId}', { params: { path: { userId: user.id } }, body }));
      await queryClient.invalidateQueries({ queryKey: ['users'] });
      notifications.show({ message: 'User saved', color: 'green' });
      onDone();
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack>
        <TextInput label="Name" {...inputProps('displayName')} />
        <TextInput label="Email" type="email" {...inputProps('email')} />
        <Select
          label="Role"
          data={(roles.data?.items ?? []).map((role) => ({ value: role.id, label: role.name }))}
          {...inputProps('roleId')}
        />
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
