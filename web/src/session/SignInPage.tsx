import {
  Alert,
  Anchor,
  Button,
  Center,
  Paper,
  PasswordInput,
  PinInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { BrandMark } from '../brand/BrandMark.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { useApiForm } from '../forms/use-api-form.ts';
import { meKey } from './use-me.ts';

/** The sign-in page: email and password, then a TOTP code or a recovery code when the account has MFA. */
export function SignInPage({ notice }: { notice: string | null }) {
  const [challenge, setChallenge] = useState<string | null>(null);
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" radius="md" w={420} maw="100%" component="main">
        <Stack gap="lg">
          <BrandMark size="lg" />
          {notice ? (
            <Alert color="yellow" variant="light" role="status" data-testid="session-notice">
              {notice}
            </Alert>
          ) : null}
          {challenge ? (
            <MfaStep challengeToken={challenge} onRestart={() => setChallenge(null)} />
          ) : (
            <PasswordStep onChallenge={setChallenge} />
          )}
        </Stack>
      </Paper>
    </Center>
  );
}

function PasswordStep({ onChallenge }: { onChallenge(token: string): void }) {
  const queryClient = useQueryClient();
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/auth/sign-in',
    initialValues: { email: '', password: '' },
    codeFields: {},
  });
  const [busy, setBusy] = useState(false);
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const answer = await call(
        api.POST('/api/v1/auth/sign-in', { body: { email: values.email.trim(), password: values.password } }),
      );
      if (answer.status === 'mfa_required') onChallenge(answer.challengeToken);
      else await queryClient.invalidateQueries({ queryKey: meKey });
    } catch (error) {
      form.setFieldValue('password', '');
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={handleSubmit} noValidate aria-labelledby="sign-in-title">
      <Stack>
        <Title order={1} size="h3" id="sign-in-title">
          Sign in
        </Title>
        <TextInput label="Email" type="email" autoComplete="username" autoFocus {...inputProps('email')} />
        <PasswordInput label="Password" autoComplete="current-password" {...inputProps('password')} />
        <FormAlert message={general} title="Sign-in failed" />
        <Button type="submit" loading={busy} fullWidth>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}

function MfaStep({ challengeToken, onRestart }: { challengeToken: string; onRestart(): void }) {
  const queryClient = useQueryClient();
  const [useRecovery, setUseRecovery] = useState(false);
  const [code, setCode] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(body: { code: string } | { recoveryCode: string }) {
    setBusy(true);
    setError(null);
    try {
      await call(api.POST('/api/v1/auth/mfa', { body: { challengeToken, ...body } }));
      await queryClient.invalidateQueries({ queryKey: meKey });
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      setError(message);
      setCode('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      noValidate
      aria-labelledby="mfa-title"
      onSubmit={(event) => {
        event.preventDefault();
        if (useRecovery) {
          if (recoveryCode.trim() === '') setError('Enter one of your recovery codes');
          else void submit({ recoveryCode: recoveryCode.trim() });
        } else if (!/^\d{6}$/.test(code)) setError('Enter the six digits your authenticator app shows');
        else void submit({ code });
      }}
    >
      <Stack>
        <Title order={1} size="h3" id="mfa-title">
          Two-step verification
        </Title>
        {useRecovery ? (
          <TextInput
            label="Recovery code"
            autoComplete="one-time-code"
            value={recoveryCode}
            onChange={(event) => setRecoveryCode(event.currentTarget.value)}
            error={error}
            autoFocus
          />
        ) : (
          <Stack gap={4} role="group" aria-labelledby="totp-label">
            <Text size="sm" fw={500} id="totp-label">
              Code from your authenticator app
            </Text>
            <PinInput
              length={6}
              type="number"
              oneTimeCode
              value={code}
              onChange={setCode}
              onComplete={(value) => void submit({ code: value })}
              ariaLabel="Authenticator code digit"
              error={Boolean(error)}
              autoFocus
              data-testid="totp-code"
            />
            {error ? (
              <Text c="red.8" size="sm" role="alert">
                {error}
              </Text>
            ) : null}
          </Stack>
        )}
        <Button type="submit" loading={busy} fullWidth>
          Verify
        </Button>
        <Anchor component="button" type="button" size="sm" onClick={() => setUseRecovery(!useRecovery)}>
          {useRecovery ? 'Use a code from the authenticator app' : 'Use a recovery code instead'}
        </Anchor>
        <Anchor component="button" type="button" size="sm" onClick={onRestart}>
          Start again
        </Anchor>
      </Stack>
    </form>
  );
}
