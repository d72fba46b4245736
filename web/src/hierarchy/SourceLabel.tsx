import { Anchor, Badge, Text } from '@mantine/core';
import type { ValueSource } from '../api/types.ts';
import { handleLinkClick } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { useUnit } from './unit-queries.ts';

/** Where an effective value comes from: this unit, an ancestor (linked), the default, or above the caller's scope. */
export function SourceLabel({ source, unitId }: { source: ValueSource | undefined; unitId: string }) {
  if (!source) return null;
  if (source.kind === 'default') {
    return (
      <Badge variant="light" color="gray" size="sm" style={{ overflow: 'visible' }}>
        default
      </Badge>
    );
  }
  if (source.kind === 'above_scope') {
    return (
      <Badge variant="light" color="grape" size="sm" style={{ overflow: 'visible' }}>
        set above your scope
      </Badge>
    );
  }
  if (source.buId === unitId) {
    return (
      <Badge variant="light" color="brand" size="sm" style={{ overflow: 'visible' }}>
        set here
      </Badge>
    );
  }
  return source.buId ? <InheritedFrom unitId={source.buId} /> : null;
}

function InheritedFrom({ unitId }: { unitId: string }) {
  const unit = useUnit(unitId);
  const to = buildPath('/units/:id', { id: unitId });
  return (
    <Text size="sm" span>
      inherited from{' '}
      <Anchor href={to} onClick={(event) => handleLinkClick(event, to)} size="sm">
        {unit.data?.name ?? '…'}
      </Anchor>
    </Text>
  );
}
