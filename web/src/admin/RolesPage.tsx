import {
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { BodyOf, Me, Role } from '../api/types.ts';

type Privilege = BodyOf<'/api/v1/roles', 'post'>['privileges'][number];

import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { UnitScope } from './UnitScope.tsx';
import { useRoles } from './use-roles.ts';

/** Privileges grouped by their area (`bu.read` → `bu`), in catalogue order. */
export function groupPrivileges(privileges: readonly string[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const privilege of privileges) {
    const area = privilege.split('.')[0] ?? privilege;
    groups.set(area, [...(groups.get(area) ?? []), privilege]);
  }
  return [...groups];
}

const areaNames: Record<string, string> = {
  bu: 'Business units',
  user: 'Users',
  role: 'Roles',
  apikey: 'API keys',
  settings: 'Settings',
  datasource: 'Data sources',
  backup: 'Backups',
  restore: 'Restores',
  billing: 'Billing',
  report: 'Reports',
  audit: 'Audit',
};

/** Roles usable at a unit, each with its privileges; custom roles can be created, changed and deleted. */
export default function RolesPage({ me }: { me: Me }) {
  const unitId = useCurrentUnitId();
  const roles = useRoles(unitId);
  const catalogue = useQuery({
    queryKey: ['privileges'],
    queryFn: () => call(api.GET('/api/v1/privileges')),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const [editing, setEditing] = useState<Role | 'new' | null>(null);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Roles
        </Title>
        {hasPrivilege(me, 'role.create') ? <Button onClick={() => setEditing('new')}>New custom role</Button> : null}
      </Group>
      <UnitScope unitId={unitId} />
      <QueryState isLoading={roles.isLoading} error={roles.error} label="roles" />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        {(roles.data?.items ?? []).map((role) => (
          <Paper key={role.id} withBorder p="md" radius="md" data-testid="role-card">
            <Stack gap="xs">
              <Group justify="space-between">
                <Group gap="xs">
                  <Title order={2} size="h4">
                    {role.name}
                  </Title>
                  {role.builtin ? (
                    <Badge variant="light" color="gray">
                      built-in
                    </Badge>
                  ) : (
                    <Badge variant="light">
                      custom, defined at <UnitName id={role.buId} />
                    </Badge>
                  )}
                </Group>
                {!role.builtin ? (
                  <Group gap="xs">
                    {hasPrivilege(me, 'role.update') ? (
                      <Button size="xs" variant="default" onClick={() => setEditing(role)}>
                        Change
                      </Button>
                    ) : null}
                    {hasPrivilege(me, 'role.delete') ? <DeleteRole role={role} /> : null}
                  </Group>
                ) : null}
              </Group>
              {role.description ? (
                <Text size="sm" c="dimmed">
                  {role.description}
                </Text>
              ) : null}
              <Group gap={4} aria-label={`Privileges of ${role.name}`}>
                {role.privileges.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    No privileges
                  </Text>
                ) : (
                  role.privileges.map((privilege) => (
                    <Badge key={privilege} variant="outline" size="sm" tt="none">
                      {privilege}
                    </Badge>
                  ))
                )}
              </Group>
            </Stack>
          </Paper>
        ))}
      </SimpleGrid>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? 'New custom role' : 'Change role'}
        size="lg"
      >
        {editing && unitId ? (
          <RoleForm
            role={editing === 'new' ? null : editing}
            unitId={unitId}
            catalogue={catalogue.data?.items ?? []}
            held={me.principal.privileges ?? []}
            onDone={() => setEditing(null)}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

function DeleteRole({ role }: { role: Role }) {
  const queryClient = useQueryClient();
  return (
    <ConfirmAction
      size="xs"
      label="Delete"
      title={`Delete the role ${role.name}?`}
      message="Only a role that no user or API key holds can be deleted."
      onConfirm={async () => {
        await call(api.DELETE('/api/v1/roles/{roleId}', { params: { path: { roleId: role.id } } }));
        await queryClient.invalidateQueries({ queryKey: ['roles'] });
      }}
    />
  );
}

function RoleForm({
  role,
  unitId,
  catalogue,
  held,
  onDone,
}: {
  role: Role | null;
  unitId: string;
  catalogue: readonly string[];
  held: readonly string[];
  onDone(): void;
}) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: role ? 'PATCH /api/v1/roles/{roleId}' : 'POST /api/v1/roles',
    initialValues: { name: role?.name ?? '', description: role?.description ?? '', privileges: role?.privileges ?? [] },
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const body = {
        name: values.name.trim(),
        description: values.description.trim(),
        privileges: values.privileges as Privilege[],
      };
      if (role) await call(api.PATCH('/api/v1/roles/{roleId}', { params: { path: { roleId: role.id } }, body }));
      else await call(api.POST('/api/v1/roles', { body: { ...body, buId: unitId } }));
      await queryClient.invalidateQueries({ queryKey: ['roles'] });
      notifications.show({ message: `Role ${body.name} saved`, color: 'green' });
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
        {role ? null : (
          <Text size="sm">
            Defined at <UnitName id={unitId} />, usable there and in its sub-units.
          </Text>
        )}
        <TextInput label="Name" {...inputProps('name')} />
        <Textarea label="Description" autosize minRows={2} {...inputProps('description')} />
        <Checkbox.Group
          label="Privileges"
          description="A role cannot grant privileges you do not hold yourself."
          {...form.getInputProps('privileges')}
        >
          <Stack gap="sm" mt="xs">
            {groupPrivileges(catalogue).map(([area, privileges]) => (
              <div key={area}>
                <Text size="sm" fw={600}>
                  {areaNames[area] ?? area}
                </Text>
                <Group gap="md">
                  {privileges.map((privilege) => (
                    <Checkbox
                      key={privilege}
                      value={privilege}
                      label={privilege}
                      disabled={!held.includes(privilege)}
                    />
                  ))}
                </Group>
              </div>
            ))}
          </Stack>
        </Checkbox.Group>
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Save role
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
