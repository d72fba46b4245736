import { Alert, Button, Center, Paper, PasswordInput, Stack, Title } from '@mantine/core';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { BrandMark } from '../brand/BrandMark.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { useApiForm } from '../forms/use-api-form.ts';
import { Link } from '../routing/router.tsx';

/** The page an invitation link opens: the invited user chooses a password, then signs in. */
export function AcceptInvitationPage({ token }: { token: string }) {
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/auth/invitations/accept',
    initialValues: { password: '', confirmPassword: '' },
    fields: ['password'],
    extraChecks: (values) => (values.confirmPassword !== values.password ? { confirmPassword: 'does not match' } : {}),
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      await call(api.POST('/api/v1/auth/invitations/accept', { body: { token, password: values.password } }));
      setDone(true);
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" radius="md" w={420} maw="100%" component="main">
        <Stack gap="lg">
          <BrandMark size="lg" />
          <Title order={1} size="h3">
            Accept the invitation
          </Title>
          {done ? (
            <Alert color="green" role="status">
              Your password is set. <Link to="/">Sign in</Link>
            </Alert>
          ) : (
            <form onSubmit={handleSubmit} noValidate>
              <Stack>
                <PasswordInput label="Choose a password" autoComplete="new-password" {...inputProps('password')} />
                <PasswordInput
                  label="Repeat the password"
                  autoComplete="new-password"
                  withAsterisk
                  {...form.getInputProps('confirmPassword')}
                />
                <FormAlert message={general} />
                <Button type="submit" loading={busy}>
                  Set password
                </Button>
              </Stack>
            </form>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
