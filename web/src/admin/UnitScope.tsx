import { Group, Switch } from '@mantine/core';
import { UnitPicker } from '../hierarchy/UnitPicker.tsx';
import { setQuery } from '../routing/router.tsx';

/** The unit a list is about (kept in the address as ?unit=) and whether its sub-units count too. */
export function UnitScope({
  unitId,
  subtree,
  onSubtreeChange,
  subtreeLabel = 'Include sub-units',
}: {
  unitId: string | null;
  subtree?: boolean;
  onSubtreeChange?(value: boolean): void;
  subtreeLabel?: string;
}) {
  return (
    <Group align="flex-end">
      <div style={{ minWidth: 280 }}>
        <UnitPicker label="Business unit" value={unitId} onChange={(id) => id && setQuery({ unit: id })} />
      </div>
      {onSubtreeChange ? (
        <Switch
          label={subtreeLabel}
          checked={subtree ?? true}
          onChange={(event) => onSubtreeChange(event.currentTarget.checked)}
          mb={8}
        />
      ) : null}
    </Group>
  );
}
