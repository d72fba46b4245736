import { Anchor, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import type { Me } from '../api/types.ts';
import { BrandMark } from '../brand/BrandMark.tsx';
import { PasswordChangeForm } from './PasswordChangeForm.tsx';
import { signOut } from './sign-out.ts';
import { TotpEnrolment } from './TotpEnrolment.tsx';

/** What a half-signed-in session must do first: change a one-time password, or set up TOTP where a unit requires it. */
export function FirstStepsPage({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const password = me.stage === 'password';
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" radius="md" w={560} maw="100%" component="main">
        <Stack gap="lg">
          <BrandMark size="lg" />
          <Title order={1} size="h3">
            {password ? 'Choose a new password' : 'Set up two-step verification'}
          </Title>
          <Text size="sm" c="dimmed">
            {password
              ? `Signed in as ${me.user.email}. The password you used is temporary: choose your own before you continue.`
              : `Signed in as ${me.user.email}. Your organisation requires a second factor before you continue.`}
          </Text>
          {password ? <PasswordChangeForm /> : <TotpEnrolment replacing={false} />}
          <Anchor component="button" type="button" size="sm" onClick={() => void signOut(queryClient)}>
            Sign out
          </Anchor>
        </Stack>
      </Paper>
    </Center>
  );
}
