import { Badge, Grid, Paper, ScrollArea, Stack, Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { type UseQueryResult, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, call } from '../api/client.ts';
import type { Me, ResponseOf, Unit } from '../api/types.ts';
import { QueryState } from '../components/QueryState.tsx';
import { navigate } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { scopeUnitId } from '../session/use-me.ts';
import { UnitDetails } from './UnitDetails.tsx';
import { UnitTree } from './UnitTree.tsx';
import { useUnit, useUnitPath } from './unit-queries.ts';
import { type UnitTreeControl, useUnitTree } from './use-unit-tree.ts';

/** Hierarchy: the caller's subtree as a tree (with search) beside the chosen unit's details. */
export default function HierarchyPage({ params, me }: { params: Record<string, string>; me: Me }) {
  const rootId = scopeUnitId(me);
  const root = useUnit(rootId);
  if (!root.data) return <QueryState isLoading={root.isLoading} error={root.error} label="your top unit" />;
  return <Hierarchy key={root.data.id} root={root.data} selectedId={params.id ?? rootId} me={me} />;
}

function Hierarchy({ root, selectedId, me }: { root: Unit; selectedId: string; me: Me }) {
  const tree = useUnitTree(root);
  const path = useUnitPath(selectedId);
  const { revealPath } = tree;
  useEffect(() => {
    if (path.data) revealPath(path.data.items);
  }, [path.data, revealPath]);

  const select = (id: string) => navigate(buildPath('/units/:id', { id }));

  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, md: 4 }}>
        <Paper withBorder p="sm" radius="md">
          <Stack gap="xs">
            <Title order={2} size="h4">
              Business units
            </Title>
            <TreeOrSearch tree={tree} rootId={root.id} selectedId={selectedId} onSelect={select} />
          </Stack>
        </Paper>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 8 }}>
        <UnitDetails unitId={selectedId} me={me} tree={tree} onSelect={select} />
      </Grid.Col>
    </Grid>
  );
}

function TreeOrSearch({
  tree,
  rootId,
  selectedId,
  onSelect,
}: {
  tree: UnitTreeControl;
  rootId: string;
  selectedId: string;
  onSelect(id: string): void;
}) {
  const [search, setSearch] = useState('');
  const [term] = useDebouncedValue(search.trim(), 250);
  const results = useQuery({
    queryKey: ['unit-search', rootId, term, 'with-total'],
    enabled: term !== '',
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/subtree', {
          params: { path: { id: rootId }, query: { name: term, limit: 100, includeTotal: true } },
        }),
      ),
  });
  return (
    <>
      <TextInput
        label="Find a unit"
        placeholder="Part of a name"
        value={search}
        onChange={(event) => setSearch(event.currentTarget.value)}
        type="search"
        maxLength={200}
      />
      {term === '' ? (
        <>
          {tree.error ? (
            <Text c="red.8" size="sm" role="alert">
              {tree.error}
            </Text>
          ) : null}
          <UnitTree tree={tree} selectedId={selectedId} onSelect={onSelect} height="calc(100vh - 260px)" />
        </>
      ) : (
        <SearchResults
          query={results}
          onSelect={(id) => {
            setSearch('');
            onSelect(id);
          }}
        />
      )}
    </>
  );
}

function SearchResults({
  query,
  onSelect,
}: {
  query: UseQueryResult<ResponseOf<'/api/v1/business-units/{id}/subtree', 'get'>>;
  onSelect(id: string): void;
}) {
  if (!query.data) return <QueryState isLoading={query.isLoading} error={query.error} label="matching units" />;
  const { items, total } = query.data;
  return (
    <Stack gap={4} role="region" aria-label="Search results" aria-live="polite">
      <Text size="xs" c="dimmed">
        {total === undefined
          ? `${items.length} found`
          : `${total} found${total > items.length ? `, first ${items.length} shown` : ''}`}
      </Text>
      <ScrollArea h="calc(100vh - 300px)">
        <Stack gap={2}>
          {items.map((unit) => (
            <UnstyledButton key={unit.id} onClick={() => onSelect(unit.id)} p={4} data-testid="search-result">
              <Text size="sm">
                {unit.name}{' '}
                <Badge size="xs" variant="light" color="gray">
                  level {unit.depth}
                </Badge>
              </Text>
            </UnstyledButton>
          ))}
        </Stack>
      </ScrollArea>
    </Stack>
  );
}
