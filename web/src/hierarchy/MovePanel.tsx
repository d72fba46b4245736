import { Alert, Button, Group, List, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { ApiError, formProblem } from '../api/problem.ts';
import type { MovePreview, Unit } from '../api/types.ts';
import { errorText } from '../components/QueryState.tsx';
import { formatValue } from '../lib/format.ts';
import { SourceLabel } from './SourceLabel.tsx';
import { UnitPicker } from './UnitPicker.tsx';
import { unitKey, useUnit } from './unit-queries.ts';
import type { UnitTreeControl } from './use-unit-tree.ts';

/**
 * Moving a unit with its subtree: choose the new parent, read what would change (settings,
 * brand, who gains or loses access), then confirm. The move is one atomic, audited step.
 */
export function MovePanel({ unit, tree }: { unit: Unit; tree: UnitTreeControl }) {
  const queryClient = useQueryClient();
  const [target, setTarget] = useState<string | null>(null);
  const [preview, setPreview] = useState<MovePreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'preview' | 'move' | null>(null);

  function showError(caught: unknown) {
    if (caught instanceof ApiError) {
      const placed = formProblem(caught.problem, ['parentId']);
      setFieldError(placed.fields.parentId ?? null);
      setError(placed.general);
    } else setError(errorText(caught));
  }

  async function handlePreview() {
    if (!target) {
      setFieldError('Choose the new parent unit');
      return;
    }
    setBusy('preview');
    setError(null);
    setFieldError(null);
    try {
      setPreview(
        await call(
          api.POST('/api/v1/business-units/{id}/move-preview', {
            params: { path: { id: unit.id } },
            body: { parentId: target },
          }),
        ),
      );
    } catch (caught) {
      setPreview(null);
      showError(caught);
    } finally {
      setBusy(null);
    }
  }

  async function handleMove() {
    if (!target || !preview) return;
    setBusy('move');
    setError(null);
    try {
      const result = await call(
        api.POST('/api/v1/business-units/{id}/move', { params: { path: { id: unit.id } }, body: { parentId: target } }),
      );
      notifications.show({
        message: `${unit.name} moved with ${result.movedUnits - 1} unit${result.movedUnits === 2 ? '' : 's'} below it`,
        color: 'green',
      });
      queryClient.setQueryData(unitKey(unit.id), result.unit);
      await queryClient.invalidateQueries({ queryKey: ['unit-path'] });
      await queryClient.invalidateQueries({ queryKey: ['children'] });
      tree.refreshChildren([preview.fromParentId, preview.toParentId]);
      setPreview(null);
      setTarget(null);
    } catch (caught) {
      showError(caught);
    } finally {
      setBusy(null);
    }
  }

  return (
    <Stack gap="md">
      <Text size="sm">
        Moves <b>{unit.name}</b> and everything below it. Permissions, reports and billing follow from the moment of the
        move.
      </Text>
      <Group align="flex-end">
        <div style={{ flex: 1 }}>
          <UnitPicker
            label="New parent unit"
            value={target}
            onChange={(id) => {
              setTarget(id);
              setPreview(null);
              setFieldError(null);
            }}
            exclude={[unit.id]}
            error={fieldError}
            withAsterisk
          />
        </div>
        <Button variant="default" onClick={handlePreview} loading={busy === 'preview'}>
          Preview the move
        </Button>
      </Group>
      {error ? (
        <Alert color="red" variant="light" role="alert" title="The move is not possible">
          {error}
        </Alert>
      ) : null}
      {preview ? <PreviewView preview={preview} unit={unit} /> : null}
      {preview ? (
        <Group>
          <Button onClick={handleMove} loading={busy === 'move'} data-testid="confirm-move">
            Move {unit.name} now
          </Button>
          <Button variant="default" onClick={() => setPreview(null)}>
            Cancel
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}

function PreviewView({ preview, unit }: { preview: MovePreview; unit: Unit }) {
  const from = useUnit(preview.fromParentId);
  const to = useUnit(preview.toParentId);
  const principals = preview.principals ?? [];
  return (
    <Stack gap="sm" data-testid="move-preview" role="region" aria-label="What the move changes">
      <Title order={2} size="h5">
        What the move changes
      </Title>
      <Text size="sm">
        {preview.unitsMoving === 1 ? '1 unit moves' : `${preview.unitsMoving} units move`} from{' '}
        <b>{from.data?.name ?? '…'}</b> to <b>{to.data?.name ?? '…'}</b>.
      </Text>
      {preview.settings.length === 0 && preview.brand.length === 0 ? (
        <Text size="sm" c="dimmed">
          No inherited setting or brand value changes.
        </Text>
      ) : (
        <Table withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Value</Table.Th>
              <Table.Th>Now</Table.Th>
              <Table.Th>After the move</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.settings.map((change) => (
              <Table.Tr key={`setting-${change.key}`}>
                <Table.Td>
                  {change.key}
                  <Text size="xs" c="dimmed">
                    {change.unitsAffected} unit{change.unitsAffected === 1 ? '' : 's'} affected
                  </Text>
                </Table.Td>
                <Table.Td>
                  {formatValue(change.before.value)} <SourceLabel source={change.before.source} unitId={unit.id} />
                </Table.Td>
                <Table.Td>
                  {formatValue(change.after.value)} <SourceLabel source={change.after.source} unitId={unit.id} />
                </Table.Td>
              </Table.Tr>
            ))}
            {preview.brand.map((change) => (
              <Table.Tr key={`brand-${change.field}`}>
                <Table.Td>brand: {change.field}</Table.Td>
                <Table.Td>
                  {formatValue(change.before.value)} <SourceLabel source={change.before.source} unitId={unit.id} />
                </Table.Td>
                <Table.Td>
                  {formatValue(change.after.value)} <SourceLabel source={change.after.source} unitId={unit.id} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {preview.principals === null ? (
        <Text size="sm" c="dimmed">
          Access changes are not listed for your role.
        </Text>
      ) : principals.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nobody gains or loses access.
        </Text>
      ) : (
        <List size="sm">
          {principals.map((principal) => (
            <List.Item key={`${principal.kind}-${principal.id}`}>
              {principal.kind === 'user' ? 'User' : 'API key'} {principal.name}{' '}
              {principal.change === 'gains' ? 'gains access to' : 'loses access to'} {unit.name}
            </List.Item>
          ))}
        </List>
      )}
    </Stack>
  );
}
