import { Stack, Tabs, Title } from '@mantine/core';
import { UnitScope } from '../admin/UnitScope.tsx';
import type { Me } from '../api/types.ts';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { setQuery, useLocation } from '../routing/router.tsx';
import { ContractsPanel } from './ContractsPanel.tsx';
import { DryRunPanel } from './DryRunPanel.tsx';
import { RunsPanel } from './RunsPanel.tsx';
import { SubscriptionsPanel } from './SubscriptionsPanel.tsx';

const tabs = ['dry-run', 'runs', 'subscriptions', 'contracts'] as const;
type Tab = (typeof tabs)[number];

/** Billing of the chosen unit as a seller: next run's dry run, posted runs, price lists and contracts. */
export default function BillingPage({ me }: { me: Me }) {
  const unitId = useCurrentUnitId();
  const { query } = useLocation();
  const requested = query.get('tab') as Tab | null;
  const tab: Tab = requested && tabs.includes(requested) ? requested : 'dry-run';
  return (
    <Stack>
      <Title order={1} size="h2">
        Billing
      </Title>
      <UnitScope unitId={unitId} />
      {unitId ? (
        <Tabs
          value={tab}
          onChange={(value) =>
            setQuery({ tab: value === 'dry-run' ? undefined : (value ?? undefined) }, { replace: true })
          }
          keepMounted={false}
        >
          <Tabs.List>
            <Tabs.Tab value="dry-run">Next run (dry run)</Tabs.Tab>
            <Tabs.Tab value="runs">Billing runs</Tabs.Tab>
            <Tabs.Tab value="subscriptions">Subscriptions and products</Tabs.Tab>
            <Tabs.Tab value="contracts">Contracts</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="dry-run" pt="md">
            <DryRunPanel unitId={unitId} me={me} />
          </Tabs.Panel>
          <Tabs.Panel value="runs" pt="md">
            <RunsPanel unitId={unitId} />
          </Tabs.Panel>
          <Tabs.Panel value="subscriptions" pt="md">
            <SubscriptionsPanel unitId={unitId} me={me} />
          </Tabs.Panel>
          <Tabs.Panel value="contracts" pt="md">
            <ContractsPanel unitId={unitId} me={me} />
          </Tabs.Panel>
        </Tabs>
      ) : null}
    </Stack>
  );
}
