import { Button, Code, Divider, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { Me, Unit } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { useApiForm } from '../forms/use-api-form.ts';
import { formatDateTime } from '../lib/format.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { unitKey } from './unit-queries.ts';
import type { UnitTreeControl } from './use-unit-tree.ts';

/** A unit's facts, the rename form and deletion (for units without children). */
export function OverviewPanel({
  unit,
  me,
  isTop,
  tree,
  onSelect,
}: {
  unit: Unit;
  me: Me;
  isTop: boolean;
  tree: UnitTreeControl;
  onSelect(id: string): void;
}) {
  const queryClient = useQueryClient();
  return (
    <Stack gap="lg">
      <Table variant="vertical" layout="fixed" withTableBorder>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={180}>Identifier</Table.Th>
            <Table.Td>
              <Code>{unit.id}</Code>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Code</Table.Th>
            <Table.Td>{unit.code ?? '–'}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Level below your top unit</Table.Th>
            <Table.Td>{unit.depth}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Created</Table.Th>
            <Table.Td>{formatDateTime(unit.createdAt)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Changed</Table.Th>
            <Table.Td>{formatDateTime(unit.updatedAt)}</Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {hasPrivilege(me, 'bu.update') ? (
        // A different unit, or a fresh copy after saving, starts a fresh form.
        <RenameForm key={`${unit.id}:${unit.updatedAt}`} unit={unit} tree={tree} />
      ) : null}
      {hasPrivilege(me, 'bu.delete') && !isTop ? (
        <>
          <Divider />
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              A unit can be deleted once it has no sub-units, users or data sources.
            </Text>
            <ConfirmAction
              label="Delete unit"
              title={`Delete ${unit.name}?`}
              message={`The unit ${unit.name} is removed for good. This cannot be undone.`}
              onConfirm={async () => {
                await call(api.DELETE('/api/v1/business-units/{id}', { params: { path: { id: unit.id } } }));
                notifications.show({ message: `${unit.name} deleted`, color: 'green' });
                if (unit.parentId) {
                  tree.refreshChildren([unit.parentId]);
                  onSelect(unit.parentId);
                }
                queryClient.removeQueries({ queryKey: unitKey(unit.id) });
              }}
            />
          </Group>
        </>
      ) : null}
    </Stack>
  );
}

function RenameForm({ unit, tree }: { unit: Unit; tree: UnitTreeControl }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'PATCH /api/v1/business-units/{id}',
    initialValues: { name: unit.name, code: unit.code ?? '' },
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const updated = await call(
        api.PATCH('/api/v1/business-units/{id}', {
          params: { path: { id: unit.id } },
          body: { name: values.name.trim(), code: values.code.trim() === '' ? null : values.code.trim() },
        }),
      );
      queryClient.setQueryData(unitKey(unit.id), updated);
      await queryClient.invalidateQueries({ queryKey: ['unit-path'] });
      tree.rename(updated);
      notifications.show({ message: 'Saved', color: 'green' });
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={handleSubmit} noValidate aria-labelledby="rename-title">
      <Stack gap="sm">
        <Title order={2} size="h5" id="rename-title">
          Name and code
        </Title>
        <Group align="flex-start" grow>
          <TextInput label="Name" {...inputProps('name')} />
          <TextInput
            label="Code"
            description="Letters, digits, - and _; used in naming rules"
            {...inputProps('code')}
          />
        </Group>
        <FormAlert message={general} />
        <Group>
          <Button type="submit" loading={busy} disabled={!form.isDirty()}>
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
