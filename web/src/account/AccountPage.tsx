import {
  Badge,
  Button,
  Code,
  Group,
  List,
  Paper,
  PasswordInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { Me } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { errorText, QueryState } from '../components/QueryState.tsx';
import { formatDateTime } from '../lib/format.ts';
import { PasswordChangeForm } from '../session/PasswordChangeForm.tsx';
import { TotpEnrolment } from '../session/TotpEnrolment.tsx';
import { meKey } from '../session/use-me.ts';

/** The signed-in user's own account: password, two-step verification and open sessions. */
export default function AccountPage({ me }: { me: Me }) {
  return (
    <Stack>
      <Title order={1} size="h2">
        Account and security
      </Title>
      <Text size="sm" c="dimmed">
        {me.user.displayName}, {me.user.email}
      </Text>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Paper withBorder p="md" radius="md">
          <Stack>
            <Title order={2} size="h4">
              Password
            </Title>
            <PasswordChangeForm />
          </Stack>
        </Paper>
        <Paper withBorder p="md" radius="md">
          <TwoStep me={me} />
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="md" radius="md">
        <Sessions />
      </Paper>
    </Stack>
  );
}

function TwoStep({ me }: { me: Me }) {
  const [mode, setMode] = useState<'idle' | 'enrol' | 'disable' | 'codes'>('idle');
  const enrolled = me.mfa.enrolled ?? false;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h4">
          Two-step verification
        </Title>
        <Badge color={enrolled ? 'green' : 'gray'} variant="light" data-testid="mfa-state">
          {enrolled ? 'on' : 'off'}
        </Badge>
      </Group>
      {me.mfa.required ? (
        <Text size="sm" c="dimmed">
          Your organisation requires it.
        </Text>
      ) : null}
      {enrolled ? <Text size="sm">{me.mfa.recoveryCodesLeft ?? 0} recovery codes left.</Text> : null}
      {mode === 'enrol' ? (
        <TotpEnrolment replacing={enrolled} onDone={() => setMode('idle')} />
      ) : mode === 'disable' ? (
        <DisableTotp onDone={() => setMode('idle')} />
      ) : mode === 'codes' ? (
        <NewRecoveryCodes onDone={() => setMode('idle')} />
      ) : (
        <Group>
          <Button onClick={() => setMode('enrol')}>{enrolled ? 'Replace the authenticator' : 'Turn on'}</Button>
          {enrolled ? (
            <Button variant="default" onClick={() => setMode('codes')}>
              New recovery codes
            </Button>
          ) : null}
          {enrolled && !me.mfa.required ? (
            <Button variant="light" color="red" onClick={() => setMode('disable')}>
              Turn off
            </Button>
          ) : null}
        </Group>
      )}
    </Stack>
  );
}

function DisableTotp({ onDone }: { onDone(): void }) {
  const queryClient = useQueryClient();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await call(api.DELETE('/api/v1/me/totp', { body: { password } }));
          await queryClient.invalidateQueries({ queryKey: meKey });
          notifications.show({ message: 'Two-step verification is off', color: 'green' });
          onDone();
        } catch (caught) {
          setError(errorText(caught));
        } finally {
          setBusy(false);
        }
      }}
    >
      <Stack>
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={error}
          withAsterisk
        />
        <Group>
          <Button type="submit" color="red" loading={busy}>
            Turn off
          </Button>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function NewRecoveryCodes({ onDone }: { onDone(): void }) {
  const queryClient = useQueryClient();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (codes) {
    return (
      <Stack>
        <Text size="sm">Your new recovery codes (the old ones no longer work). They are not shown again.</Text>
        <List listStyleType="none" ff="monospace">
          {codes.map((recovery) => (
            <List.Item key={recovery}>{recovery}</List.Item>
          ))}
        </List>
        <Button onClick={onDone}>Done</Button>
      </Stack>
    );
  }
  return (
    <form
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        try {
          const answer = await call(api.POST('/api/v1/me/totp/recovery-codes', { body: { code } }));
          setCodes(answer.recoveryCodes);
          await queryClient.invalidateQueries({ queryKey: meKey });
        } catch (caught) {
          setError(errorText(caught));
        }
      }}
    >
      <Stack>
        <TextInput
          label="Current code from the authenticator app"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          value={code}
          onChange={(event) => setCode(event.currentTarget.value)}
          error={error}
          withAsterisk
        />
        <Group>
          <Button type="submit">Replace the recovery codes</Button>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Sessions() {
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: () => call(api.GET('/api/v1/me/sessions')) });
  return (
    <Stack>
      <Title order={2} size="h4">
        Open sessions
      </Title>
      <QueryState isLoading={sessions.isLoading} error={sessions.error} label="sessions" />
      {sessions.data ? (
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Browser</Table.Th>
              <Table.Th>Address</Table.Th>
              <Table.Th>Signed in</Table.Th>
              <Table.Th>Last seen</Table.Th>
              <Table.Th aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(sessions.data.items ?? []).map((session) => (
              <Table.Tr key={session.id}>
                <Table.Td>
                  <Code>{(session.userAgent ?? '').slice(0, 60) || 'unknown'}</Code>
                  {session.current ? (
                    <Badge ml="xs" size="xs">
                      this browser
                    </Badge>
                  ) : null}
                </Table.Td>
                <Table.Td>{session.address}</Table.Td>
                <Table.Td>{formatDateTime(session.createdAt)}</Table.Td>
                <Table.Td>{formatDateTime(session.lastSeenAt)}</Table.Td>
                <Table.Td>
                  {session.current || !session.id ? null : (
                    <ConfirmAction
                      size="xs"
                      label="End"
                      title="End this session?"
                      message="That browser is signed out at its next request."
                      onConfirm={async () => {
                        await call(
                          api.DELETE('/api/v1/me/sessions/{sessionId}', {
                            params: { path: { sessionId: session.id ?? '' } },
                          }),
                        );
                        await queryClient.invalidateQueries({ queryKey: ['sessions'] });
                      }}
                    />
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
    </Stack>
  );
}
