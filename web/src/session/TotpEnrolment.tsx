import {
  Alert,
  Button,
  Code,
  Group,
  Image,
  List,
  PasswordInput,
  PinInput,
  SimpleGrid,
  Stack,
  Text,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { errorText } from '../components/QueryState.tsx';
import { meKey } from './use-me.ts';

type Step =
  | { kind: 'start' }
  | { kind: 'scan'; secret: string; qrCodeSvg: string; otpauthUri: string }
  | { kind: 'codes'; codes: string[] };

/**
 * Sets up TOTP: a new secret as a QR code (and as text for manual entry), confirmed with a
 * first code; the ten recovery codes are shown once at the end. Replacing a confirmed
 * secret asks for the password.
 */
export function TotpEnrolment({ replacing, onDone }: { replacing: boolean; onDone?(): void }) {
  const queryClient = useQueryClient();
  const [step, setStep] = useState<Step>({ kind: 'start' });
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      const answer = await call(api.POST('/api/v1/me/totp', { body: replacing ? { password } : {} }));
      setStep({ kind: 'scan', ...answer });
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(value: string) {
    if (!/^\d{6}$/.test(value)) {
      setError('Enter the six digits your authenticator app shows');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await call(api.POST('/api/v1/me/totp/confirm', { body: { code: value } }));
      setStep({ kind: 'codes', codes: answer.recoveryCodes });
    } catch (caught) {
      setError(errorText(caught));
      setCode('');
    } finally {
      setBusy(false);
    }
  }

  if (step.kind === 'start') {
    return (
      <Stack>
        <Text size="sm">
          Use an authenticator app (for example FreeOTP, Aegis, Google Authenticator or 1Password). After the password,
          every sign-in asks for the six-digit code it shows.
        </Text>
        {replacing ? (
          <PasswordInput
            label="Current password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            withAsterisk
          />
        ) : null}
        {error ? (
          <Text c="red.8" size="sm" role="alert">
            {error}
          </Text>
        ) : null}
        <Group>
          <Button onClick={start} loading={busy}>
            {replacing ? 'Replace the authenticator' : 'Set up the authenticator app'}
          </Button>
        </Group>
      </Stack>
    );
  }

  if (step.kind === 'scan') {
    return (
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Image
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(step.qrCodeSvg)}`}
            alt="QR code to scan with the authenticator app"
            w={200}
            h={200}
            bg="white"
            data-testid="totp-qr"
          />
          <Stack gap="xs">
            <Text size="sm">1. Scan the QR code with the app, or enter this key by hand:</Text>
            <Code block data-testid="totp-secret">
              {step.secret}
            </Code>
            <Text size="sm" id="totp-confirm-label">
              2. Enter the code the app shows now:
            </Text>
            <PinInput
              role="group"
              aria-labelledby="totp-confirm-label"
              length={6}
              type="number"
              oneTimeCode
              value={code}
              onChange={setCode}
              onComplete={(value) => void confirm(value)}
              ariaLabel="Authenticator code digit"
              data-testid="totp-confirm-code"
            />
            {error ? (
              <Text c="red.8" size="sm" role="alert">
                {error}
              </Text>
            ) : null}
            <Group>
              <Button onClick={() => void confirm(code)} loading={busy}>
                Confirm
              </Button>
            </Group>
          </Stack>
        </SimpleGrid>
      </Stack>
    );
  }

  return (
    <Stack>
      <Alert color="green" variant="light" title="Two-step verification is on" role="status">
        Store these recovery codes somewhere safe (a password manager, or printed). Each works once when the phone is
        not at hand. They are not shown again.
      </Alert>
      <List spacing={4} listStyleType="none" data-testid="recovery-codes" ff="monospace">
        {step.codes.map((recoveryCode) => (
          <List.Item key={recoveryCode}>{recoveryCode}</List.Item>
        ))}
      </List>
      <Group>
        <Button
          variant="default"
          onClick={() => void navigator.clipboard?.writeText(step.codes.join('\n'))}
          aria-label="Copy the recovery codes"
        >
          Copy
        </Button>
        <Button
          onClick={async () => {
            await queryClient.invalidateQueries({ queryKey: meKey });
            onDone?.();
          }}
        >
          I have stored the codes
        </Button>
      </Group>
    </Stack>
  );
}
