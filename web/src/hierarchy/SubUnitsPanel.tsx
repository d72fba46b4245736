import { Anchor, Button, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { Me, Unit } from '../api/types.ts';
import { FormAlert } from '../components/FormAlert.tsx';
import { Pager } from '../components/Pager.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { handleLinkClick } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { hasPrivilege } from '../session/use-me.ts';
import type { UnitTreeControl } from './use-unit-tree.ts';

/** The direct children of a unit (paged by the server) and the form that creates one. */
export function SubUnitsPanel({
  unit,
  me,
  tree,
  onSelect,
}: {
  unit: Unit;
  me: Me;
  tree: UnitTreeControl;
  onSelect(id: string): void;
}) {
  const pages = useCursorPages(unit.id);
  const children = useQuery({
    queryKey: ['children', unit.id, pages.cursor],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/children', {
          params: { path: { id: unit.id }, query: { limit: 25, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
  });
  return (
    <Stack gap="lg">
      {hasPrivilege(me, 'bu.create') ? <CreateUnitForm parent={unit} tree={tree} onCreated={onSelect} /> : null}
      <Stack gap="xs">
        <Title order={2} size="h5">
          Sub-units of {unit.name}
        </Title>
        <QueryState isLoading={children.isLoading} error={children.error} label="sub-units" />
        {children.data ? (
          children.data.items.length === 0 && !pages.hasPrevious ? (
            <Text size="sm" c="dimmed">
              No sub-units yet.
            </Text>
          ) : (
            <>
              <Table striped highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Code</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {children.data.items.map((child) => {
                    const to = buildPath('/units/:id', { id: child.id });
                    return (
                      <Table.Tr key={child.id}>
                        <Table.Td>
                          <Anchor href={to} onClick={(event) => handleLinkClick(event, to)} size="sm">
                            {child.name}
                          </Anchor>
                        </Table.Td>
                        <Table.Td>{child.code ?? '–'}</Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
              <Pager label="Sub-units" pages={pages} nextCursor={children.data.nextCursor} />
            </>
          )
        ) : null}
      </Stack>
    </Stack>
  );
}

function CreateUnitForm({
  parent,
  tree,
  onCreated,
}: {
  parent: Unit;
  tree: UnitTreeControl;
  onCreated(id: string): void;
}) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/business-units',
    initialValues: { name: '', code: '' },
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const created = await call(
        api.POST('/api/v1/business-units', {
          body: {
            parentId: parent.id,
            name: values.name.trim(),
            ...(values.code.trim() ? { code: values.code.trim() } : {}),
          },
        }),
      );
      form.reset();
      notifications.show({ message: `${created.name} created under ${parent.name}`, color: 'green' });
      tree.refreshChildren([parent.id]);
      tree.expand(parent.id, true);
      await queryClient.invalidateQueries({ queryKey: ['children', parent.id] });
      onCreated(created.id);
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={handleSubmit} noValidate aria-labelledby="create-unit-title">
      <Stack gap="sm">
        <Title order={2} size="h5" id="create-unit-title">
          New unit under {parent.name}
        </Title>
        <Group align="flex-start" grow>
          <TextInput label="Name" {...inputProps('name')} />
          <TextInput label="Code" description="Optional; letters, digits, - and _" {...inputProps('code')} />
        </Group>
        <FormAlert message={general} />
        <Group>
          <Button type="submit" loading={busy}>
            Create unit
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
