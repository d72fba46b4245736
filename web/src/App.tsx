import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, call, onSessionEnded } from './api/client.ts';
import type { Me } from './api/types.ts';
import { BrandProvider, useBrand } from './brand/BrandProvider.tsx';
import { brandFromEffective } from './brand/brand.ts';
import { errorText } from './components/QueryState.tsx';
import { Shell } from './layout/Shell.tsx';
import { queryClient } from './lib/query-client.ts';
import { useLocation } from './routing/router.tsx';
import { Screens } from './Screens.tsx';
import { AcceptInvitationPage } from './session/AcceptInvitationPage.tsx';
import { FirstStepsPage } from './session/FirstStepsPage.tsx';
import { SignInPage } from './session/SignInPage.tsx';
import { forgetSession } from './session/sign-out.ts';
import { hasPrivilege, useMe } from './session/use-me.ts';

/** The console: providers, then sign-in, first steps or the signed-in shell. */
export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrandProvider>
        <Notifications position="top-right" />
        <Root />
      </BrandProvider>
    </QueryClientProvider>
  );
}

function Root() {
  const me = useMe();
  const location = useLocation();
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(
    () =>
      onSessionEnded(() => {
        forgetSession(queryClient);
        setNotice('Your session has ended. Sign in again to continue where you were.');
      }),
    [],
  );
  useEffect(() => {
    if (me.data) setNotice(null);
  }, [me.data]);

  if (location.path === '/invitation') {
    return <AcceptInvitationPage token={location.query.get('token') ?? ''} />;
  }
  if (me.isLoading) {
    return (
      <Center mih="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (me.error) {
    return (
      <Center mih="100vh" p="md">
        <Stack>
          <Alert color="red" title="The server cannot be reached" role="alert">
            {errorText(me.error)}
          </Alert>
          <Button onClick={() => void me.refetch()}>Try again</Button>
        </Stack>
      </Center>
    );
  }
  if (!me.data) return <SignInPage notice={notice} />;
  if (me.data.stage !== 'full') return <FirstStepsPage me={me.data} />;
  return <SignedIn me={me.data} />;
}

function SignedIn({ me }: { me: Me }) {
  useOwnBrand(me);
  return (
    <Shell me={me}>
      <Screens me={me} />
    </Shell>
  );
}

/** Puts the console in the brand of the user's own unit (and remembers it for the sign-in page). */
function useOwnBrand(me: Me): void {
  const { brand, setBrand } = useBrand();
  const unitId = me.user.buId;
  const allowed = hasPrivilege(me, 'bu.read');
  const effective = useQuery({
    queryKey: ['brand', unitId],
    enabled: allowed,
    queryFn: () => call(api.GET('/api/v1/business-units/{id}/brand', { params: { path: { id: unitId } } })),
  });
  useEffect(() => {
    if (!effective.data) return;
    const next = brandFromEffective(effective.data);
    if (JSON.stringify(next) !== JSON.stringify(brand)) setBrand(next);
  }, [effective.data, brand, setBrand]);
}
