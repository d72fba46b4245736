import { Alert, Button, Center, Loader, Stack } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, call, onSessionEnded } from './api/client.ts';
import type { Me } from './api/types.ts';
import { BrandProvider, useBrand } from './brand/BrandProvider.tsx';
import { brandFromSummary } from './brand/brand.ts';
import { errorText } from './components/QueryState.tsx';
import { Shell } from './layout/Shell.tsx';
import { queryClient } from './lib/query-client.ts';
import { useLocation } from './routing/router.tsx';
import { Screens } from './Screens.tsx';
import { AcceptInvitationPage } from './session/AcceptInvitationPage.tsx';
import { FirstStepsPage } from './session/FirstStepsPage.tsx';
import { SignInPage } from './session/SignInPage.tsx';
import { forgetSession, signInBrandKey } from './session/sign-out.ts';
import { useMe } from './session/use-me.ts';

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
  const signInBrand = useConsoleBrand(me.data);
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
  // The sign-in page waits briefly for the brand of its address rather than flash another one.
  if (me.isLoading || (me.data === null && signInBrand.isLoading)) {
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
  return (
    <Shell me={me}>
      <Screens me={me} />
    </Shell>
  );
}

/**
 * Dresses the console: once signed in (also while a password change or TOTP enrolment is
 * due) in the brand of the user's own unit, from `/me`; before, in the brand of the address
 * the console was reached through (a unit's sign-in address, else the installation's own).
 */
function useConsoleBrand(me: Me | null | undefined) {
  const { brand, setBrand } = useBrand();
  const host = window.location.host;
  const signInBrand = useQuery({
    queryKey: signInBrandKey(host),
    enabled: !me,
    staleTime: 5 * 60_000,
    retry: 1,
    queryFn: () => call(api.GET('/api/v1/sign-in/brand', { params: { query: { host } } })),
  });
  useEffect(() => {
    const next = me
      ? brandFromSummary(me.brand, me.user.buId)
      : signInBrand.data
        ? brandFromSummary(signInBrand.data, null)
        : null;
    if (next && JSON.stringify(next) !== JSON.stringify(brand)) setBrand(next);
  }, [me, signInBrand.data, brand, setBrand]);
  return signInBrand;
}
