import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Chip,
  Code,
  Group,
  Modal,
  MultiSelect,
  Radio,
  Select,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { UnitScope } from '../admin/UnitScope.tsx';
import { api, call } from '../api/client.ts';
import { type BodyOf, bodySchema, type Me } from '../api/types.ts';

type EventType = BodyOf<'/api/v1/business-units/{id}/alert-subscriptions', 'post'>['eventTypes'][number];

import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { errorText, QueryState } from '../components/QueryState.tsx';
import { choicesOf } from '../forms/choices.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { useCurrentUnitId } from '../hierarchy/unit-queries.ts';
import { formatDateTime } from '../lib/format.ts';
import { setQuery, useLocation } from '../routing/router.tsx';
import { hasPrivilege } from '../session/use-me.ts';

const tabs = ['reports', 'subscriptions', 'alerts'] as const;
type Tab = (typeof tabs)[number];

/** Status reports of a unit, who receives them and when, and alert e-mail and webhook settings. */
export default function ReportsPage({ me }: { me: Me }) {
  const unitId = useCurrentUnitId();
  const { query } = useLocation();
  const requested = query.get('tab') as Tab | null;
  const tab: Tab = requested && tabs.includes(requested) ? requested : 'reports';
  return (
    <Stack>
      <Title order={1} size="h2">
        Reports and alerts
      </Title>
      <UnitScope unitId={unitId} />
      {unitId ? (
        <Tabs
          value={tab}
          onChange={(value) =>
            setQuery({ tab: value === 'reports' ? undefined : (value ?? undefined) }, { replace: true })
          }
          keepMounted={false}
        >
          <Tabs.List>
            <Tabs.Tab value="reports">Status reports</Tabs.Tab>
            <Tabs.Tab value="subscriptions">Report subscriptions</Tabs.Tab>
            <Tabs.Tab value="alerts">Alerts and webhooks</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="reports" pt="md">
            <Reports unitId={unitId} me={me} />
          </Tabs.Panel>
          <Tabs.Panel value="subscriptions" pt="md">
            <Subscriptions unitId={unitId} me={me} />
          </Tabs.Panel>
          <Tabs.Panel value="alerts" pt="md">
            <Alerts unitId={unitId} me={me} />
          </Tabs.Panel>
        </Tabs>
      ) : null}
    </Stack>
  );
}

function summaryText(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .filter(([, value]) => typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
    .map(([key, value]) => `${key}: ${String(value)}`)
    .join(', ');
}

function Reports({ unitId, me }: { unitId: string; me: Me }) {
  const queryClient = useQueryClient();
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const reports = useQuery({
    queryKey: ['reports', unitId, cursor],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/reports', {
          params: { path: { id: unitId }, query: { limit: 30, ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Stack>
      {hasPrivilege(me, 'report.manage') ? (
        <Group>
          <Button
            loading={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await call(
                  api.POST('/api/v1/business-units/{id}/reports', { params: { path: { id: unitId } }, body: {} }),
                );
                await queryClient.invalidateQueries({ queryKey: ['reports', unitId] });
              } catch (caught) {
                setError(errorText(caught));
              } finally {
                setBusy(false);
              }
            }}
          >
            Generate today's report
          </Button>
          {error ? (
            <Text c="red.8" size="sm" role="alert">
              {error}
            </Text>
          ) : null}
        </Group>
      ) : null}
      <QueryState isLoading={reports.isLoading} error={reports.error} label="reports" />
      {reports.data ? (
        <Table striped data-testid="reports-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Day</Table.Th>
              <Table.Th>Generated</Table.Th>
              <Table.Th>Summary</Table.Th>
              <Table.Th aria-label="Open" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(reports.data.items ?? []).length === 0 ? (
              <EmptyRow columns={4}>No report yet: one is generated every day.</EmptyRow>
            ) : null}
            {(reports.data.items ?? []).map((report) => (
              <Table.Tr key={report.id}>
                <Table.Td>{report.date}</Table.Td>
                <Table.Td>{formatDateTime(report.generatedAt)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{summaryText(report.summary)}</Text>
                </Table.Td>
                <Table.Td>
                  <Anchor href={`/api/v1/reports/${report.id}/html`} target="_blank" rel="noopener" size="sm">
                    Open report
                  </Anchor>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {reports.data?.nextCursor ? (
        <Group>
          <Button variant="default" size="xs" onClick={() => setCursor(reports.data?.nextCursor)}>
            Older reports
          </Button>
        </Group>
      ) : null}
    </Stack>
  );
}

function Subscriptions({ unitId, me }: { unitId: string; me: Me }) {
  const [creating, setCreating] = useState(false);
  const subscriptions = useQuery({
    queryKey: ['report-subscriptions', unitId],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/report-subscriptions', {
          params: { path: { id: unitId }, query: { effective: true } },
        }),
      ),
  });
  const queryClient = useQueryClient();
  const canManage = hasPrivilege(me, 'report.manage');
  return (
    <Stack>
      <Group justify="flex-end">
        {canManage ? <Button onClick={() => setCreating(true)}>Subscribe to reports</Button> : null}
      </Group>
      <QueryState isLoading={subscriptions.isLoading} error={subscriptions.error} label="subscriptions" />
      {subscriptions.data ? (
        <Table striped data-testid="report-subscriptions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Recipient</Table.Th>
              <Table.Th>When</Table.Th>
              <Table.Th>Sent</Table.Th>
              <Table.Th>From</Table.Th>
              <Table.Th aria-label="Actions" />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(subscriptions.data.items ?? []).length === 0 ? (
              <EmptyRow columns={5}>Nobody receives this unit's reports yet.</EmptyRow>
            ) : null}
            {(subscriptions.data.items ?? []).map((subscription) => {
              const schedule = subscription.schedule as {
                frequency?: string;
                weekdays?: string[];
                monthDays?: number[];
              };
              return (
                <Table.Tr key={subscription.id}>
                  <Table.Td>
                    {subscription.subscriber.name ?? subscription.subscriber.email}
                    {subscription.enabled ? null : (
                      <Badge ml="xs" size="xs" color="gray">
                        paused
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {schedule.frequency}
                    {schedule.weekdays?.length ? ` on ${schedule.weekdays.join(', ')}` : ''}
                    {schedule.monthDays?.length ? ` on day ${schedule.monthDays.join(', ')}` : ''}
                  </Table.Td>
                  <Table.Td>{subscription.sendCondition.replace(/_/g, ' ')}</Table.Td>
                  <Table.Td>
                    {subscription.inheritedFrom ? (
                      <>
                        inherited from <UnitName id={subscription.inheritedFrom} />
                      </>
                    ) : (
                      'this unit'
                    )}
                  </Table.Td>
                  <Table.Td>
                    {canManage && !subscription.inheritedFrom ? (
                      <ConfirmAction
                        size="xs"
                        label="Unsubscribe"
                        title="Stop sending these reports?"
                        message="The recipient no longer receives this unit's status reports."
                        onConfirm={async () => {
                          await call(
                            api.DELETE('/api/v1/report-subscriptions/{id}', {
                              params: { path: { id: subscription.id } },
                            }),
                          );
                          await queryClient.invalidateQueries({ queryKey: ['report-subscriptions', unitId] });
                        }}
                      />
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      ) : null}
      <Modal opened={creating} onClose={() => setCreating(false)} title="Subscribe to status reports" size="lg">
        {creating ? <SubscriptionForm unitId={unitId} me={me} onDone={() => setCreating(false)} /> : null}
      </Modal>
    </Stack>
  );
}

const weekdayNames: Record<string, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};

function SubscriptionForm({ unitId, me, onDone }: { unitId: string; me: Me; onDone(): void }) {
  const queryClient = useQueryClient();
  const schema = bodySchema('POST /api/v1/business-units/{id}/report-subscriptions');
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem } = useApiForm({
    operation: 'POST /api/v1/business-units/{id}/report-subscriptions',
    initialValues: {
      who: 'me',
      subscriber: { email: '' },
      schedule: { frequency: 'daily', weekdays: [] as string[], monthDays: [] as string[] },
      sendCondition: 'always',
      errorDefinition: { warningsAreErrors: false, missedAreErrors: true, quotaBreachesAreErrors: false },
    },
    fields: ['subscriber.email', 'schedule.frequency', 'sendCondition'],
    problemFields: ['subscriber', 'schedule', 'schedule.weekdays', 'schedule.monthDays', 'errorDefinition'],
    extraChecks: (values) => ({
      'subscriber.email':
        values.who === 'email' && !/^[^@\s]+@[^@\s]+$/.test(values.subscriber.email.trim())
          ? 'must be an email address'
          : undefined,
      'schedule.weekdays':
        values.schedule.frequency === 'weekly' && values.schedule.weekdays.length === 0
          ? 'choose at least one day'
          : undefined,
      'schedule.monthDays':
        values.schedule.frequency === 'monthly' && values.schedule.monthDays.length === 0
          ? 'choose at least one day'
          : undefined,
    }),
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const frequency = values.schedule.frequency as 'daily' | 'weekly' | 'monthly';
      await call(
        api.POST('/api/v1/business-units/{id}/report-subscriptions', {
          params: { path: { id: unitId } },
          body: {
            subscriber: values.who === 'me' ? { userId: me.user.id } : { email: values.subscriber.email.trim() },
            schedule: {
              frequency,
              ...(frequency === 'weekly'
                ? { weekdays: values.schedule.weekdays as ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[] }
                : {}),
              ...(frequency === 'monthly' ? { monthDays: values.schedule.monthDays.map(Number) } : {}),
            },
            sendCondition: values.sendCondition as 'always' | 'errors_only' | 'always_and_errors',
            errorDefinition: values.errorDefinition,
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['report-subscriptions', unitId] });
      notifications.show({ message: 'Subscribed', color: 'green' });
      onDone();
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  const frequencies = choicesOf(schema, 'schedule.frequency');
  const conditions = choicesOf(schema, 'sendCondition');
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack>
        <Radio.Group label="Recipient" {...form.getInputProps('who')}>
          <Group mt="xs">
            <Radio value="me" label={`Me (${me.user.email})`} />
            <Radio value="email" label="Another email address" />
          </Group>
        </Radio.Group>
        {form.values.who === 'email' ? (
          <TextInput label="Email address" type="email" {...form.getInputProps('subscriber.email')} withAsterisk />
        ) : null}
        <Select
          label="How often"
          data={frequencies}
          {...form.getInputProps('schedule.frequency')}
          allowDeselect={false}
        />
        {form.values.schedule.frequency === 'weekly' ? (
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              On
            </Text>
            <Chip.Group multiple {...form.getInputProps('schedule.weekdays')}>
              <Group gap="xs">
                {choicesOf(schema, 'schedule.weekdays').map((day) => (
                  <Chip key={day} value={day} size="xs">
                    {weekdayNames[day] ?? day}
                  </Chip>
                ))}
              </Group>
            </Chip.Group>
            {form.errors['schedule.weekdays'] ? (
              <Text c="red.8" size="xs" role="alert">
                {form.errors['schedule.weekdays']}
              </Text>
            ) : null}
          </Stack>
        ) : null}
        {form.values.schedule.frequency === 'monthly' ? (
          <MultiSelect
            label="On days of the month"
            description="29 to 31 fall on the last day of shorter months"
            data={Array.from({ length: 31 }, (_, i) => String(i + 1))}
            {...form.getInputProps('schedule.monthDays')}
          />
        ) : null}
        <Select
          label="Send"
          data={conditions.map((value) => ({
            value,
            label:
              value === 'always'
                ? 'Every scheduled day'
                : value === 'errors_only'
                  ? 'Only on scheduled days with errors'
                  : 'Every scheduled day, and at once on errors',
          }))}
          {...form.getInputProps('sendCondition')}
          allowDeselect={false}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Count as errors (failed backups always do)
          </Text>
          <Checkbox
            label="Backups with warnings (e.g. a file locked)"
            {...form.getInputProps('errorDefinition.warningsAreErrors', { type: 'checkbox' })}
          />
          <Checkbox
            label="Missed backups"
            {...form.getInputProps('errorDefinition.missedAreErrors', { type: 'checkbox' })}
          />
          <Checkbox
            label="Quota breaches"
            {...form.getInputProps('errorDefinition.quotaBreachesAreErrors', { type: 'checkbox' })}
          />
        </Stack>
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Subscribe
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Alerts({ unitId, me }: { unitId: string; me: Me }) {
  const queryClient = useQueryClient();
  const canManage = hasPrivilege(me, 'report.manage');
  const schema = bodySchema('POST /api/v1/business-units/{id}/alert-subscriptions');
  const eventTypes = choicesOf(schema, 'eventTypes');
  const alertSubscriptions = useQuery({
    queryKey: ['alert-subscriptions', unitId],
    queryFn: () =>
      call(api.GET('/api/v1/business-units/{id}/alert-subscriptions', { params: { path: { id: unitId } } })),
  });
  const webhooks = useQuery({
    queryKey: ['webhooks', unitId],
    queryFn: () => call(api.GET('/api/v1/business-units/{id}/webhooks', { params: { path: { id: unitId } } })),
  });
  const openAlerts = useQuery({
    queryKey: ['alerts', unitId],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/alerts', {
          params: { path: { id: unitId }, query: { status: 'open', limit: 50 } },
        }),
      ),
  });
  const [events, setEvents] = useState<string[]>(['backup.failed', 'backup.missed']);
  const [secret, setSecret] = useState<string | null>(null);
  const [webhookUrl, setWebhookUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Stack>
      <Title order={2} size="h4">
        Open alerts
      </Title>
      <QueryState isLoading={openAlerts.isLoading} error={openAlerts.error} label="alerts" />
      {(openAlerts.data?.items ?? []).length === 0 && openAlerts.data ? (
        <Text size="sm" c="dimmed">
          No open alert.
        </Text>
      ) : (
        <Table>
          <Table.Tbody>
            {(openAlerts.data?.items ?? []).map((alert) => (
              <Table.Tr key={alert.id}>
                <Table.Td>
                  <Badge color="red" variant="light">
                    {alert.type}
                  </Badge>
                </Table.Td>
                <Table.Td>{alert.subject.name ?? alert.subject.id}</Table.Td>
                <Table.Td>since {formatDateTime(alert.openedAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Title order={2} size="h4">
        Alert e-mails
      </Title>
      <QueryState isLoading={alertSubscriptions.isLoading} error={alertSubscriptions.error} label="alert e-mails" />
      <Table>
        <Table.Tbody>
          {(alertSubscriptions.data?.items ?? []).map((subscription) => (
            <Table.Tr key={subscription.id}>
              <Table.Td>{subscription.subscriber.name ?? subscription.subscriber.email}</Table.Td>
              <Table.Td>{subscription.eventTypes.join(', ')}</Table.Td>
              <Table.Td>
                {canManage ? (
                  <ConfirmAction
                    size="xs"
                    label="Remove"
                    title="Stop these alert e-mails?"
                    message="The recipient no longer receives these alerts."
                    onConfirm={async () => {
                      await call(
                        api.DELETE('/api/v1/alert-subscriptions/{id}', { params: { path: { id: subscription.id } } }),
                      );
                      await queryClient.invalidateQueries({ queryKey: ['alert-subscriptions', unitId] });
                    }}
                  />
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {canManage ? (
        <Group align="flex-end">
          <MultiSelect label="Alert me about" data={eventTypes} value={events} onChange={setEvents} w={420} />
          <Button
            variant="default"
            onClick={async () => {
              setError(null);
              try {
                await call(
                  api.POST('/api/v1/business-units/{id}/alert-subscriptions', {
                    params: { path: { id: unitId } },
                    body: { subscriber: { userId: me.user.id }, eventTypes: events as EventType[] },
                  }),
                );
                await queryClient.invalidateQueries({ queryKey: ['alert-subscriptions', unitId] });
              } catch (caught) {
                setError(errorText(caught));
              }
            }}
          >
            Subscribe me
          </Button>
        </Group>
      ) : null}
      <Title order={2} size="h4">
        Webhooks
      </Title>
      <QueryState isLoading={webhooks.isLoading} error={webhooks.error} label="webhooks" />
      <Table>
        <Table.Tbody>
          {(webhooks.data?.items ?? []).map((webhook) => (
            <Table.Tr key={webhook.id}>
              <Table.Td>
                <Code>{webhook.url}</Code>
              </Table.Td>
              <Table.Td>{webhook.eventTypes.join(', ')}</Table.Td>
              <Table.Td>
                <Badge color={webhook.status === 'active' ? 'green' : 'gray'} variant="light">
                  {webhook.status}
                </Badge>
              </Table.Td>
              <Table.Td>
                {canManage ? (
                  <ConfirmAction
                    size="xs"
                    label="Delete"
                    title="Delete this webhook?"
                    message="Its delivery log goes with it."
                    onConfirm={async () => {
                      await call(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: webhook.id } } }));
                      await queryClient.invalidateQueries({ queryKey: ['webhooks', unitId] });
                    }}
                  />
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {canManage ? (
        <Group align="flex-end">
          <TextInput
            label="Webhook URL"
            placeholder="https://psa.example.com/hooks/coffer"
            value={webhookUrl}
            onChange={(event) => setWebhookUrl(event.currentTarget.value)}
            w={420}
          />
          <Button
            variant="default"
            onClick={async () => {
              setError(null);
              try {
                const created = await call(
                  api.POST('/api/v1/business-units/{id}/webhooks', {
                    params: { path: { id: unitId } },
                    body: { url: webhookUrl.trim(), eventTypes: events as EventType[] },
                  }),
                );
                setSecret(created.secret);
                setWebhookUrl('');
                await queryClient.invalidateQueries({ queryKey: ['webhooks', unitId] });
              } catch (caught) {
                setError(errorText(caught));
              }
            }}
          >
            Add webhook for the events above
          </Button>
        </Group>
      ) : null}
      {error ? (
        <Text c="red.8" size="sm" role="alert">
          {error}
        </Text>
      ) : null}
      <Modal opened={secret !== null} onClose={() => setSecret(null)} title="Webhook signing secret">
        <Stack>
          <Alert color="yellow" role="status">
            Store this secret in the receiving system to check the signatures. It is not shown again.
          </Alert>
          <Code block>{secret}</Code>
          <Switch label="I have stored it" onChange={() => setSecret(null)} />
        </Stack>
      </Modal>
    </Stack>
  );
}
