import { Badge, Button, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { type BillingContract, type BillingSubscription, type BodyOf, bodySchema, type Me } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { EmptyRow } from '../components/EmptyRow.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { Pager } from '../components/Pager.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { choicesOf } from '../forms/choices.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { UnitPicker } from '../hierarchy/UnitPicker.tsx';
import { hasPrivilege } from '../session/use-me.ts';

/** Names for the settlement rates the schema lists (times per year). */
const rateLabels: Record<string, string> = {
  '12': 'Monthly (12 per year)',
  '4': 'Quarterly (4)',
  '2': 'Half-yearly (2)',
  '1': 'Yearly (1)',
};

/** Every subscription the unit may sell (its own and those above it), all pages. */
async function allSubscriptions(unitId: string): Promise<BillingSubscription[]> {
  const all: BillingSubscription[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      api.GET('/api/v1/business-units/{id}/billing/subscriptions', {
        params: { path: { id: unitId }, query: { inherited: true, limit: 500, ...(cursor ? { cursor } : {}) } },
      }),
    );
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** Contracts the unit sells: which subscription a customer unit takes, from when, how often it is settled. */
export function ContractsPanel({ unitId, me }: { unitId: string; me: Me }) {
  const [creating, setCreating] = useState(false);
  const [registering, setRegistering] = useState<BillingContract | null>(null);
  const pages = useCursorPages(unitId);
  const contracts = useQuery({
    queryKey: ['billing-contracts', unitId, pages.cursor],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/billing/contracts', {
          params: { path: { id: unitId }, query: { limit: 25, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
  });
  const canManage = hasPrivilege(me, 'billing.manage');
  return (
    <Stack>
      <Group justify="flex-end">
        {canManage ? <Button onClick={() => setCreating(true)}>New contract</Button> : null}
      </Group>
      <QueryState isLoading={contracts.isLoading} error={contracts.error} label="contracts" />
      {contracts.data ? (
        <>
          <Table striped data-testid="contracts-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Customer</Table.Th>
                <Table.Th>Subscription</Table.Th>
                <Table.Th>From</Table.Th>
                <Table.Th>Until</Table.Th>
                <Table.Th>Settled</Table.Th>
                <Table.Th>Reference</Table.Th>
                <Table.Th aria-label="Actions" />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {contracts.data.items.length === 0 ? <EmptyRow columns={7}>No contract yet.</EmptyRow> : null}
              {contracts.data.items.map((contract) => (
                <Table.Tr key={contract.id}>
                  <Table.Td>
                    <UnitName id={contract.customerBuId} />
                  </Table.Td>
                  <Table.Td>{contract.subscriptionName}</Table.Td>
                  <Table.Td>{contract.startDate}</Table.Td>
                  <Table.Td>{contract.endDate ?? <Badge variant="light">open</Badge>}</Table.Td>
                  <Table.Td>{contract.settlementRate}× a year</Table.Td>
                  <Table.Td>{contract.reference ?? '–'}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button size="xs" variant="default" onClick={() => setRegistering(contract)}>
                        Registrations
                      </Button>
                      {canManage ? <DeleteContract contract={contract} unitId={unitId} /> : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager label="Contracts" pages={pages} nextCursor={contracts.data.nextCursor} />
        </>
      ) : null}
      <Modal opened={creating} onClose={() => setCreating(false)} title="New contract" size="lg">
        {creating ? <ContractForm unitId={unitId} onDone={() => setCreating(false)} /> : null}
      </Modal>
      <Modal opened={registering !== null} onClose={() => setRegistering(null)} title="Manual registrations" size="xl">
        {registering ? <Registrations contract={registering} canManage={canManage} /> : null}
      </Modal>
    </Stack>
  );
}

function DeleteContract({ contract, unitId }: { contract: BillingContract; unitId: string }) {
  const queryClient = useQueryClient();
  return (
    <ConfirmAction
      size="xs"
      label="Delete"
      title="Delete this contract?"
      message="Only a contract that was never billed can be deleted; end a billed one instead."
      onConfirm={async () => {
        await call(api.DELETE('/api/v1/billing/contracts/{id}', { params: { path: { id: contract.id ?? '' } } }));
        await queryClient.invalidateQueries({ queryKey: ['billing-contracts', unitId] });
      }}
    />
  );
}

type ContractBody = BodyOf<'/api/v1/billing/contracts', 'post'>;

function ContractForm({ unitId, onDone }: { unitId: string; onDone(): void }) {
  const queryClient = useQueryClient();
  const schema = bodySchema('POST /api/v1/billing/contracts');
  const subscriptions = useQuery({
    queryKey: ['billing-subscriptions', unitId, 'all'],
    queryFn: () => allSubscriptions(unitId),
  });
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/billing/contracts',
    initialValues: {
      subscriptionId: '',
      customerBuId: '',
      startDate: new Date().toISOString().slice(0, 10),
      settlementRate: '12',
      timing: '',
      reference: '',
    },
    fields: ['subscriptionId', 'customerBuId', 'startDate', 'reference'],
    problemFields: ['settlementRate', 'timing'],
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      await call(
        api.POST('/api/v1/billing/contracts', {
          body: {
            subscriptionId: values.subscriptionId,
            customerBuId: values.customerBuId,
            startDate: values.startDate,
            // The selects offer only the schema's values.
            settlementRate: Number(values.settlementRate) as ContractBody['settlementRate'],
            ...(values.timing ? { timing: values.timing as NonNullable<ContractBody['timing']> } : {}),
            ...(values.reference.trim() ? { reference: values.reference.trim() } : {}),
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['billing-contracts', unitId] });
      notifications.show({ message: 'Contract created', color: 'green' });
      onDone();
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack>
        <QueryState isLoading={false} error={subscriptions.error} label="the subscriptions" />
        <Select
          label="Subscription"
          data={(subscriptions.data ?? []).map((s) => ({ value: s.id ?? '', label: `${s.name} (${s.currency})` }))}
          {...inputProps('subscriptionId')}
        />
        <UnitPicker
          label="Customer unit"
          value={form.values.customerBuId || null}
          onChange={(id) => form.setFieldValue('customerBuId', id ?? '')}
          error={form.errors.customerBuId as string | undefined}
          withAsterisk
        />
        <Group grow align="flex-start">
          <TextInput label="Starts on" type="date" {...inputProps('startDate')} />
          <Select
            label="Settlement"
            data={choicesOf(schema, 'settlementRate').map((value) => ({
              value,
              label: rateLabels[value] ?? `${value} per year`,
            }))}
            {...form.getInputProps('settlementRate')}
            error={form.errors.settlementRate}
            allowDeselect={false}
          />
        </Group>
        <Select
          label="Billed"
          data={choicesOf(schema, 'timing')}
          placeholder="In arrears (default)"
          clearable
          {...form.getInputProps('timing')}
          error={form.errors.timing}
        />
        <TextInput
          label="Reference"
          description="Optional: the customer's order or contract number"
          {...inputProps('reference')}
        />
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            Create contract
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Registrations({ contract, canManage }: { contract: BillingContract; canManage: boolean }) {
  const queryClient = useQueryClient();
  const registrations = useQuery({
    queryKey: ['registrations', contract.id],
    queryFn: () =>
      call(api.GET('/api/v1/billing/contracts/{id}/registrations', { params: { path: { id: contract.id ?? '' } } })),
  });
  const subscription = useQuery({
    queryKey: ['billing-subscription', contract.subscriptionId],
    queryFn: () =>
      call(api.GET('/api/v1/billing/subscriptions/{id}', { params: { path: { id: contract.subscriptionId ?? '' } } })),
  });
  const manualProducts = (subscription.data?.products ?? []).filter((p) => p.metric === 'manual' && !p.retiredAt);
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/billing/contracts/{id}/registrations',
    initialValues: { productId: '', date: new Date().toISOString().slice(0, 10), quantity: '', note: '' },
    fields: ['productId', 'date', 'note'],
    problemFields: ['quantity'],
    extraChecks: (values) => (/^\d+(\.\d{1,3})?$/.test(values.quantity.trim()) ? {} : { quantity: 'must be a number' }),
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      await call(
        api.POST('/api/v1/billing/contracts/{id}/registrations', {
          params: { path: { id: contract.id ?? '' } },
          body: {
            productId: values.productId,
            date: values.date,
            quantity: values.quantity.trim(),
            note: values.note.trim(),
          },
        }),
      );
      form.reset();
      await queryClient.invalidateQueries({ queryKey: ['registrations', contract.id] });
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <Stack>
      <Text size="sm">
        Manual items (e.g. support hours) of <UnitName id={contract.customerBuId} />, billed with the next run.
      </Text>
      <QueryState isLoading={registrations.isLoading} error={registrations.error} label="registrations" />
      <QueryState isLoading={false} error={subscription.error} label="the subscription's products" />
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Date</Table.Th>
            <Table.Th>Product</Table.Th>
            <Table.Th>Quantity</Table.Th>
            <Table.Th>Note</Table.Th>
            <Table.Th>Billed</Table.Th>
            <Table.Th aria-label="Actions" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(registrations.data ?? []).map((registration) => (
            <Table.Tr key={registration.id}>
              <Table.Td>{registration.date}</Table.Td>
              <Table.Td>
                {subscription.data?.products?.find((p) => p.id === registration.productId)?.name ??
                  registration.productId}
              </Table.Td>
              <Table.Td>{registration.quantity}</Table.Td>
              <Table.Td>{registration.note}</Table.Td>
              <Table.Td>{registration.settledLineId ? 'yes' : 'not yet'}</Table.Td>
              <Table.Td>
                {canManage && !registration.settledLineId ? (
                  <ConfirmAction
                    size="xs"
                    label="Delete"
                    title="Delete this registration?"
                    message="It is not billed."
                    onConfirm={async () => {
                      await call(
                        api.DELETE('/api/v1/billing/registrations/{id}', {
                          params: { path: { id: registration.id ?? '' } },
                        }),
                      );
                      await queryClient.invalidateQueries({ queryKey: ['registrations', contract.id] });
                    }}
                  />
                ) : null}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {canManage ? (
        <form onSubmit={handleSubmit} noValidate>
          <Stack gap="sm">
            <Title order={3} size="h5">
              Register
            </Title>
            {manualProducts.length === 0 ? (
              <Text size="sm" c="dimmed">
                The subscription has no manual product.
              </Text>
            ) : null}
            <Group grow align="flex-start">
              <Select
                label="Product"
                data={manualProducts.map((p) => ({ value: p.id ?? '', label: p.name ?? '' }))}
                {...inputProps('productId')}
              />
              <TextInput label="Date" type="date" {...inputProps('date')} />
              <TextInput label="Quantity" {...form.getInputProps('quantity')} withAsterisk />
            </Group>
            <TextInput label="Note" {...inputProps('note')} />
            <FormAlert message={general} />
            <Group>
              <Button type="submit" loading={busy}>
                Register
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </Stack>
  );
}
