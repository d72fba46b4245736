import { Badge, Button, Checkbox, Code, Group, Modal, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { ApiError, formProblem } from '../api/problem.ts';
import type { EffectiveSetting, Me, SettingDefinition, Unit } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { errorText, QueryState } from '../components/QueryState.tsx';
import { SchemaValueEditor } from '../forms/SchemaValueEditor.tsx';
import { checkDeep, type JsonSchema } from '../forms/schema-rules.ts';
import { formatValue } from '../lib/format.ts';
import { hasPrivilege } from '../session/use-me.ts';
import { SourceLabel } from './SourceLabel.tsx';

/** Inherited settings at a unit: the value in force, where it comes from, locks, and the unit's own values. */
export function SettingsPanel({ unit, me }: { unit: Unit; me: Me }) {
  const definitions = useQuery({
    queryKey: ['setting-definitions'],
    queryFn: () => call(api.GET('/api/v1/settings/definitions')),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const settings = useQuery({
    queryKey: ['settings', unit.id],
    queryFn: () => call(api.GET('/api/v1/business-units/{id}/settings', { params: { path: { id: unit.id } } })),
  });
  const [editing, setEditing] = useState<string | null>(null);
  if (!definitions.data || !settings.data) {
    return (
      <QueryState
        isLoading={definitions.isLoading || settings.isLoading}
        error={definitions.error ?? settings.error}
        label="settings"
      />
    );
  }
  const canEdit = hasPrivilege(me, 'settings.update');
  const byKey = new Map(settings.data.items.map((item) => [item.key, item]));
  const editedDefinition = definitions.data.items.find((d) => d.key === editing);
  return (
    <Stack gap="sm">
      <Table withTableBorder verticalSpacing="sm" data-testid="settings-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Setting</Table.Th>
            <Table.Th>In force</Table.Th>
            <Table.Th w={170}>From</Table.Th>
            {canEdit ? <Table.Th aria-label="Actions" /> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {definitions.data.items.map((definition) => {
            const effective = byKey.get(definition.key);
            return (
              <Table.Tr key={definition.key}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {definition.key}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {definition.description}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <ValueView value={effective?.value} />
                  {effective?.locked ? (
                    <Badge size="xs" color="orange" variant="light">
                      locked for sub-units
                    </Badge>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <SourceLabel source={effective?.source} unitId={unit.id} />
                </Table.Td>
                {canEdit ? (
                  <Table.Td>
                    <Button size="xs" variant="default" onClick={() => setEditing(definition.key)}>
                      Change
                    </Button>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={`${editing ?? ''} at ${unit.name}`}
        size="lg"
      >
        {editedDefinition ? (
          <SettingEditor
            unit={unit}
            definition={editedDefinition}
            effective={byKey.get(editedDefinition.key)}
            onDone={() => setEditing(null)}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

function SettingEditor({
  unit,
  definition,
  effective,
  onDone,
}: {
  unit: Unit;
  definition: SettingDefinition;
  effective: EffectiveSetting | undefined;
  onDone(): void;
}) {
  const queryClient = useQueryClient();
  const schema = definition.schema as JsonSchema;
  const own = effective?.own as { value?: unknown; locked?: boolean } | undefined;
  const hasOwn = own !== undefined && 'value' in own;
  const [value, setValue] = useState<unknown>(hasOwn ? own.value : (effective?.value ?? definition.default));
  const [locked, setLocked] = useState(own?.locked ?? false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function refresh() {
    await queryClient.invalidateQueries({ queryKey: ['settings'] });
  }

  async function handleSave() {
    const problems = checkDeep(schema, value);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    setGeneral(null);
    try {
      await call(
        api.PUT('/api/v1/business-units/{id}/settings/{key}', {
          params: { path: { id: unit.id, key: definition.key } },
          body: { value, locked },
        }),
      );
      notifications.show({ message: `${definition.key} saved`, color: 'green' });
      await refresh();
      onDone();
    } catch (caught) {
      if (caught instanceof ApiError) {
        // Paths inside the value (body/value/minLength) land on the matching input.
        const fields = ['value', ...Object.keys(schema.properties ?? {}).map((name) => `value.${name}`)];
        const placed = formProblem(caught.problem, fields);
        setErrors(Object.fromEntries(Object.entries(placed.fields).map(([k, v]) => [k.replace(/^value\.?/, ''), v])));
        setGeneral(placed.general);
      } else setGeneral(errorText(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {definition.description}
      </Text>
      <Group gap="xs">
        <Text size="sm">Now in force:</Text>
        <ValueView value={effective?.value} />
        <SourceLabel source={effective?.source} unitId={unit.id} />
      </Group>
      <SchemaValueEditor schema={schema} value={value} onChange={setValue} label="Value" errors={errors} />
      <Checkbox
        label="Lock: sub-units cannot set their own value"
        checked={locked}
        onChange={(event) => setLocked(event.currentTarget.checked)}
      />
      {general ? (
        <Text c="red.8" size="sm" role="alert">
          {general}
        </Text>
      ) : null}
      <Group justify="space-between">
        {hasOwn ? (
          <ConfirmAction
            label="Inherit again"
            title={`Remove ${unit.name}'s own ${definition.key}?`}
            message="The unit and its sub-units then use the value inherited from above."
            onConfirm={async () => {
              await call(
                api.DELETE('/api/v1/business-units/{id}/settings/{key}', {
                  params: { path: { id: unit.id, key: definition.key } },
                }),
              );
              await refresh();
              onDone();
            }}
          />
        ) : (
          <span />
        )}
        <Group>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button onClick={handleSave} loading={busy}>
            Save
          </Button>
        </Group>
      </Group>
    </Stack>
  );
}

/** A setting's value: plain text for simple values, indented JSON (scrollable) for structures. */
function ValueView({ value }: { value: unknown }) {
  if (value !== null && typeof value === 'object') {
    return (
      <ScrollArea.Autosize mah={160} type="auto">
        <Code block>{JSON.stringify(value, null, 2)}</Code>
      </ScrollArea.Autosize>
    );
  }
  return (
    <Text size="sm" ff="monospace" style={{ wordBreak: 'break-word' }}>
      {formatValue(value)}
    </Text>
  );
}
