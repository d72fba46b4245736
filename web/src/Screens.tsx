import { Alert, Center, Loader } from '@mantine/core';
import { type ComponentType, type LazyExoticComponent, lazy, Suspense, useEffect } from 'react';
import type { Me } from './api/types.ts';
import { navigate, useLocation } from './routing/router.tsx';
import { matchPath } from './routing/routes.ts';

type Screen = LazyExoticComponent<ComponentType<{ params: Record<string, string>; me: Me }>>;

// Each screen is its own chunk: the first load carries only the shell.
const screens: { pattern: string; screen: Screen }[] = [
  { pattern: '/units', screen: lazy(() => import('./hierarchy/HierarchyPage.tsx')) },
  { pattern: '/units/:id', screen: lazy(() => import('./hierarchy/HierarchyPage.tsx')) },
  { pattern: '/sources', screen: lazy(() => import('./sources/DataSourcesPage.tsx')) },
  { pattern: '/sources/:id', screen: lazy(() => import('./sources/DataSourcePage.tsx')) },
  { pattern: '/consumption', screen: lazy(() => import('./usage/ConsumptionPage.tsx')) },
  { pattern: '/billing', screen: lazy(() => import('./billing/BillingPage.tsx')) },
  { pattern: '/reports', screen: lazy(() => import('./reports/ReportsPage.tsx')) },
  { pattern: '/admin/users', screen: lazy(() => import('./admin/UsersPage.tsx')) },
  { pattern: '/admin/roles', screen: lazy(() => import('./admin/RolesPage.tsx')) },
  { pattern: '/admin/api-keys', screen: lazy(() => import('./admin/ApiKeysPage.tsx')) },
  { pattern: '/admin/audit', screen: lazy(() => import('./admin/AuditPage.tsx')) },
  { pattern: '/account', screen: lazy(() => import('./account/AccountPage.tsx')) },
];

/** The screen for the current address. */
export function Screens({ me }: { me: Me }) {
  const location = useLocation();
  useEffect(() => {
    if (location.path === '/' || location.path === '') navigate('/units', { replace: true });
  }, [location.path]);
  for (const { pattern, screen: Screen } of screens) {
    const params = matchPath(pattern, location.path);
    if (params) {
      return (
        <Suspense
          fallback={
            <Center py="xl">
              <Loader aria-label="Loading the screen" />
            </Center>
          }
        >
          <Screen params={params} me={me} />
        </Suspense>
      );
    }
  }
  if (location.path === '/' || location.path === '') return null;
  return (
    <Alert color="yellow" title="No such page" role="alert">
      The console has no page at {location.path}.
    </Alert>
  );
}
