import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, call } from '../api/client.ts';
import { errorText } from '../components/QueryState.tsx';
import { scopeUnitId, useMe } from '../session/use-me.ts';
import { useUnit } from './unit-queries.ts';

interface UnitPickerProps {
  label: string;
  value: string | null;
  onChange(id: string | null): void;
  /** Units that may not be chosen (e.g. the unit being moved). */
  exclude?: readonly string[];
  description?: string;
  error?: string | null;
  withAsterisk?: boolean;
}

/**
 * Chooses a unit of the caller's subtree by typing part of its name: the server searches
 * (subtree with a name filter), so this works with any number of units.
 */
export function UnitPicker({
  label,
  value,
  onChange,
  exclude = [],
  description,
  error,
  withAsterisk,
}: UnitPickerProps) {
  const me = useMe().data;
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const root = me ? scopeUnitId(me) : '';
  const selected = useUnit(value);
  const results = useQuery({
    queryKey: ['unit-search', root, debounced],
    enabled: Boolean(root),
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/subtree', {
          params: { path: { id: root }, query: { limit: 50, ...(debounced ? { name: debounced } : {}) } },
        }),
      ),
  });
  const data = useMemo(() => {
    const items = (results.data?.items ?? [])
      .filter((unit) => !exclude.includes(unit.id))
      .map((unit) => ({ value: unit.id, label: unit.code ? `${unit.name} (${unit.code})` : unit.name }));
    if (selected.data && !items.some((item) => item.value === selected.data.id)) {
      items.unshift({ value: selected.data.id, label: selected.data.name });
    }
    return items;
  }, [results.data, selected.data, exclude]);
  return (
    <Select
      label={label}
      description={description}
      placeholder="Type to search units"
      searchable
      clearable
      data={data}
      value={value}
      onChange={onChange}
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options }) => options}
      nothingFoundMessage={
        results.isFetching ? 'Searching…' : results.error ? 'The search failed; try again' : 'No unit matches'
      }
      error={error ?? (results.error ? `Units cannot be searched: ${errorText(results.error)}` : undefined)}
      withAsterisk={withAsterisk}
    />
  );
}
