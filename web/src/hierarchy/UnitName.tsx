import { Anchor } from '@mantine/core';
import { handleLinkClick } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { useUnit } from './unit-queries.ts';

/** A unit's name as a link to it in the hierarchy (loaded by id, cached). */
export function UnitName({ id }: { id: string | null | undefined }) {
  const unit = useUnit(id);
  if (!id) return <>–</>;
  const to = buildPath('/units/:id', { id });
  return (
    <Anchor href={to} size="sm" onClick={(event) => handleLinkClick(event, to)}>
      {unit.data?.name ?? (unit.isError ? id : '…')}
    </Anchor>
  );
}
