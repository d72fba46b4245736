import {
  Badge,
  Button,
  Group,
  Modal,
  NumberInput,
  Paper,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { type BillingSubscription, type BodyOf, bodySchema, type Me } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { Pager } from '../components/Pager.tsx';
import { QueryState } from '../components/QueryState.tsx';
import { useCursorPages } from '../components/use-cursor-pages.ts';
import { choicesOf } from '../forms/choices.ts';
import { useApiForm } from '../forms/use-api-form.ts';
import { UnitName } from '../hierarchy/UnitName.tsx';
import { hasPrivilege } from '../session/use-me.ts';
import { formatMoney, parseMoney } from './money.ts';

/** The unit's subscriptions (its price lists) with their products; new ones and new products are added here. */
export function SubscriptionsPanel({ unitId, me }: { unitId: string; me: Me }) {
  const [inherited, setInherited] = useState(false);
  const [creating, setCreating] = useState(false);
  const [addingTo, setAddingTo] = useState<BillingSubscription | null>(null);
  const pages = useCursorPages(JSON.stringify([unitId, inherited]));
  const subscriptions = useQuery({
    queryKey: ['billing-subscriptions', unitId, inherited, pages.cursor],
    queryFn: () =>
      call(
        api.GET('/api/v1/business-units/{id}/billing/subscriptions', {
          params: {
            path: { id: unitId },
            query: { inherited, limit: 10, ...(pages.cursor ? { cursor: pages.cursor } : {}) },
          },
        }),
      ),
  });
  const items = subscriptions.data?.items ?? [];
  const canManage = hasPrivilege(me, 'billing.manage');
  return (
    <Stack>
      <Group justify="space-between">
        <Switch
          label="Include subscriptions inherited from above"
          checked={inherited}
          onChange={(event) => setInherited(event.currentTarget.checked)}
        />
        {canManage ? <Button onClick={() => setCreating(true)}>New subscription</Button> : null}
      </Group>
      <QueryState isLoading={subscriptions.isLoading} error={subscriptions.error} label="subscriptions" />
      {items.length === 0 && subscriptions.data && !pages.hasPrevious ? (
        <Text size="sm" c="dimmed">
          No subscription yet.
        </Text>
      ) : null}
      {items.map((subscription) => (
        <Paper key={subscription.id} withBorder p="md" radius="md" data-testid="subscription">
          <Stack gap="xs">
            <Group justify="space-between">
              <Group gap="xs">
                <Title order={2} size="h4">
                  {subscription.name}
                </Title>
                <Badge variant="outline">{subscription.currency}</Badge>
                {subscription.ownerBuId !== unitId ? (
                  <Text size="xs" c="dimmed">
                    owned by <UnitName id={subscription.ownerBuId} />
                  </Text>
                ) : null}
              </Group>
              {canManage && subscription.ownerBuId === unitId ? (
                <Button size="xs" variant="default" onClick={() => setAddingTo(subscription)}>
                  Add product
                </Button>
              ) : null}
            </Group>
            {subscription.description ? (
              <Text size="sm" c="dimmed">
                {subscription.description}
              </Text>
            ) : null}
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Product</Table.Th>
                  <Table.Th>Settles</Table.Th>
                  <Table.Th>Value used</Table.Th>
                  <Table.Th>Price</Table.Th>
                  <Table.Th aria-label="Actions" />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(subscription.products ?? []).map((product) => (
                  <Table.Tr key={product.id} opacity={product.retiredAt ? 0.5 : 1}>
                    <Table.Td>
                      {product.name}
                      {product.retiredAt ? (
                        <Badge ml="xs" size="xs" color="gray">
                          retired
                        </Badge>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      {product.metric}{' '}
                      {product.settlement === 'packages'
                        ? `per started ${product.packageSize} ${product.unitLabel}`
                        : `per ${product.unitLabel}`}
                    </Table.Td>
                    <Table.Td>{product.valueMode}</Table.Td>
                    <Table.Td>
                      {product.tierMode && product.tierMode !== 'none'
                        ? `${product.tierMode} tiers (${product.tiers?.length ?? 0})`
                        : formatMoney(product.unitPrice, product.currency)}
                    </Table.Td>
                    <Table.Td>
                      {canManage && !product.retiredAt && subscription.ownerBuId === unitId ? (
                        <RetireProduct productId={product.id ?? ''} name={product.name ?? ''} unitId={unitId} />
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Stack>
        </Paper>
      ))}
      {subscriptions.data && (items.length > 0 || pages.hasPrevious) ? (
        <Pager label="Subscriptions" pages={pages} nextCursor={subscriptions.data.nextCursor} />
      ) : null}
      <Modal opened={creating} onClose={() => setCreating(false)} title="New subscription">
        {creating ? <SubscriptionForm unitId={unitId} onDone={() => setCreating(false)} /> : null}
      </Modal>
      <Modal
        opened={addingTo !== null}
        onClose={() => setAddingTo(null)}
        title={`Add a product to ${addingTo?.name ?? ''}`}
        size="lg"
      >
        {addingTo ? <ProductForm subscription={addingTo} unitId={unitId} onDone={() => setAddingTo(null)} /> : null}
      </Modal>
    </Stack>
  );
}

function RetireProduct({ productId, name, unitId }: { productId: string; name: string; unitId: string }) {
  const queryClient = useQueryClient();
  return (
    <ConfirmAction
      size="xs"
      label="Retire"
      title={`Retire ${name}?`}
      message="It is no longer billed from the next unbilled period on; posted lines stay."
      onConfirm={async () => {
        await call(api.POST('/api/v1/billing/products/{id}/retire', { params: { path: { id: productId } } }));
        await queryClient.invalidateQueries({ queryKey: ['billing-subscriptions', unitId] });
      }}
    />
  );
}

function SubscriptionForm({ unitId, onDone }: { unitId: string; onDone(): void }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/business-units/{id}/billing/subscriptions',
    initialValues: { name: '', description: '', currency: 'EUR' },
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      await call(
        api.POST('/api/v1/business-units/{id}/billing/subscriptions', {
          params: { path: { id: unitId } },
          body: {
            name: values.name.trim(),
            currency: values.currency.trim().toUpperCase(),
            ...(values.description.trim() ? { description: values.description.trim() } : {}),
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['billing-subscriptions', unitId] });
      notifications.show({ message: 'Subscription created', color: 'green' });
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
        <TextInput label="Name" {...inputProps('name')} />
        <TextInput label="Currency" description="ISO 4217 code, e.g. EUR" maxLength={3} {...inputProps('currency')} />
        <TextInput label="Description" {...inputProps('description')} />
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            Create subscription
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

type ProductBody = BodyOf<'/api/v1/billing/subscriptions/{id}/products', 'post'>;

function ProductForm({
  subscription,
  unitId,
  onDone,
}: {
  subscription: BillingSubscription;
  unitId: string;
  onDone(): void;
}) {
  const queryClient = useQueryClient();
  const schema = bodySchema('POST /api/v1/billing/subscriptions/{id}/products');
  const currency = subscription.currency ?? 'EUR';
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/billing/subscriptions/{id}/products',
    initialValues: {
      name: '',
      metric: 'stored',
      unit: 'GB',
      settlement: 'units',
      packageSize: 100 as number | string,
      valueMode: 'latest',
      price: '',
    },
    fields: ['name', 'metric', 'settlement', 'packageSize'],
    problemFields: ['unit', 'valueMode', 'unitPrice'],
    extraChecks: (values) =>
      parseMoney(values.price, currency) === null ? { price: `must be an amount in ${currency}` } : {},
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      const packages = values.settlement === 'packages';
      await call(
        api.POST('/api/v1/billing/subscriptions/{id}/products', {
          params: { path: { id: subscription.id ?? '' } },
          body: {
            name: values.name.trim(),
            // The selects offer only the schema's values.
            metric: values.metric as ProductBody['metric'],
            unit: values.unit as ProductBody['unit'],
            settlement: values.settlement as ProductBody['settlement'],
            ...(packages ? { packageSize: Number(values.packageSize) } : {}),
            valueMode: values.valueMode as ProductBody['valueMode'],
            currency,
            unitPrice: parseMoney(values.price, currency) ?? 0,
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['billing-subscriptions', unitId] });
      notifications.show({ message: 'Product added', color: 'green' });
      onDone();
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  const problem = (field: string) => form.errors[field];
  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack>
        <TextInput label="Name" description="As it appears on the invoice" {...inputProps('name')} />
        <Group grow align="flex-start">
          <Select label="Metric" data={choicesOf(schema, 'metric')} {...inputProps('metric')} allowDeselect={false} />
          <Select
            label="Measured in"
            data={choicesOf(schema, 'unit')}
            {...form.getInputProps('unit')}
            error={problem('unit')}
            allowDeselect={false}
          />
        </Group>
        <Group grow align="flex-start">
          <Select
            label="Settled as"
            data={choicesOf(schema, 'settlement')}
            {...inputProps('settlement')}
            allowDeselect={false}
          />
          {form.values.settlement === 'packages' ? (
            <NumberInput label="Package size" min={1} {...inputProps('packageSize')} />
          ) : null}
        </Group>
        <Select
          label="Value used"
          description="Gauges (stored, protected, clients) settle latest, average or peak; counters the total"
          data={choicesOf(schema, 'valueMode')}
          {...form.getInputProps('valueMode')}
          error={problem('valueMode')}
          allowDeselect={false}
        />
        <TextInput
          label={`Price per ${form.values.settlement === 'packages' ? 'package' : 'unit'} (${currency})`}
          placeholder="0.00"
          {...form.getInputProps('price')}
          error={form.errors.price ?? problem('unitPrice')}
          withAsterisk
        />
        <FormAlert message={general} />
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            Add product
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
