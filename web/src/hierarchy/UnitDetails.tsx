import { Anchor, Badge, Breadcrumbs, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import type { Me } from '../api/types.ts';
import { QueryState } from '../components/QueryState.tsx';
import { handleLinkClick, setQuery, useLocation } from '../routing/router.tsx';
import { buildPath } from '../routing/routes.ts';
import { hasPrivilege, scopeUnitId } from '../session/use-me.ts';
import { BrandingPanel } from './BrandingPanel.tsx';
import { MovePanel } from './MovePanel.tsx';
import { OverviewPanel } from './OverviewPanel.tsx';
import { SettingsPanel } from './SettingsPanel.tsx';
import { SubUnitsPanel } from './SubUnitsPanel.tsx';
import { useUnit, useUnitPath } from './unit-queries.ts';
import type { UnitTreeControl } from './use-unit-tree.ts';

const tabs = ['overview', 'units', 'move', 'branding', 'settings'] as const;
type Tab = (typeof tabs)[number];

/** One unit: its place in the tree and tabs for its details, sub-units, move, brand and settings. */
export function UnitDetails({
  unitId,
  me,
  tree,
  onSelect,
}: {
  unitId: string;
  me: Me;
  tree: UnitTreeControl;
  onSelect(id: string): void;
}) {
  const unit = useUnit(unitId);
  const path = useUnitPath(unitId);
  const { query } = useLocation();
  const requested = query.get('tab') as Tab | null;
  const tab: Tab = requested && tabs.includes(requested) ? requested : 'overview';
  const isTop = unitId === scopeUnitId(me);

  if (!unit.data) return <QueryState isLoading={unit.isLoading} error={unit.error} label="the unit" />;
  const current = unit.data;
  return (
    <Paper withBorder p="md" radius="md">
      <Stack gap="md">
        <nav aria-label="Place in the hierarchy">
          <Breadcrumbs separator="›">
            {(path.data?.items ?? []).map((step) => {
              const to = buildPath('/units/:id', { id: step.id });
              return step.id === unitId ? (
                <Text key={step.id} size="sm" aria-current="page">
                  {step.name}
                </Text>
              ) : (
                <Anchor key={step.id} href={to} size="sm" onClick={(event) => handleLinkClick(event, to)}>
                  {step.name}
                </Anchor>
              );
            })}
          </Breadcrumbs>
        </nav>
        <Group gap="sm">
          <Title order={1} size="h2" data-testid="unit-title">
            {current.name}
          </Title>
          {current.code ? <Badge variant="outline">{current.code}</Badge> : null}
        </Group>
        <Tabs
          value={tab}
          onChange={(value) =>
            setQuery({ tab: value === 'overview' ? undefined : (value ?? undefined) }, { replace: true })
          }
          keepMounted={false}
        >
          <Tabs.List>
            <Tabs.Tab value="overview">Overview</Tabs.Tab>
            <Tabs.Tab value="units">Sub-units</Tabs.Tab>
            {hasPrivilege(me, 'bu.move') && !isTop ? <Tabs.Tab value="move">Move</Tabs.Tab> : null}
            <Tabs.Tab value="branding">Branding</Tabs.Tab>
            {hasPrivilege(me, 'settings.read') ? <Tabs.Tab value="settings">Settings</Tabs.Tab> : null}
          </Tabs.List>
          <Tabs.Panel value="overview" pt="md">
            <OverviewPanel unit={current} me={me} isTop={isTop} tree={tree} onSelect={onSelect} />
          </Tabs.Panel>
          <Tabs.Panel value="units" pt="md">
            <SubUnitsPanel unit={current} me={me} tree={tree} onSelect={onSelect} />
          </Tabs.Panel>
          <Tabs.Panel value="move" pt="md">
            <MovePanel unit={current} tree={tree} />
          </Tabs.Panel>
          <Tabs.Panel value="branding" pt="md">
            <BrandingPanel unit={current} me={me} />
          </Tabs.Panel>
          <Tabs.Panel value="settings" pt="md">
            <SettingsPanel unit={current} me={me} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </Paper>
  );
}
