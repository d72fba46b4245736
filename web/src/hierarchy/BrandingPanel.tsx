import { Button, ColorInput, FileButton, Group, Image, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import type { EffectiveBrand, Me, Unit } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { FormAlert } from '../components/FormAlert.tsx';
import { errorText, QueryState } from '../components/QueryState.tsx';
import { useApiForm } from '../forms/use-api-form.ts';
import { hasPrivilege, meKey } from '../session/use-me.ts';
import { SourceLabel } from './SourceLabel.tsx';

const fields = [
  { key: 'displayName', label: 'Product name' },
  { key: 'primaryColor', label: 'Primary colour' },
  { key: 'accentColor', label: 'Accent colour' },
  { key: 'emailSenderName', label: 'Email sender name' },
  { key: 'emailSenderAddress', label: 'Email sender address' },
] as const;
type BrandField = (typeof fields)[number]['key'];
type BrandValues = Record<BrandField, string>;

const logoTypes = 'image/png,image/jpeg,image/svg+xml';

/** After a brand change: every unit's brand view, and the console's own brand (in `/me`). */
async function invalidateBrands(queryClient: ReturnType<typeof useQueryClient>): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: ['brand'] }),
    queryClient.invalidateQueries({ queryKey: meKey }),
  ]);
}

/** A unit's brand: each effective field with its origin, the unit's own overrides (empty inherits), and the logo. */
export function BrandingPanel({ unit, me }: { unit: Unit; me: Me }) {
  const brand = useQuery({
    queryKey: ['brand', unit.id],
    queryFn: () => call(api.GET('/api/v1/business-units/{id}/brand', { params: { path: { id: unit.id } } })),
  });
  if (!brand.data) return <QueryState isLoading={brand.isLoading} error={brand.error} label="the brand" />;
  const canEdit = hasPrivilege(me, 'bu.update');
  return (
    <Stack gap="lg">
      <Table withTableBorder data-testid="effective-brand">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Field</Table.Th>
            <Table.Th>In force</Table.Th>
            <Table.Th>From</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {fields.map((field) => {
            const effective = brand.data.fields[field.key];
            return (
              <Table.Tr key={field.key}>
                <Table.Td>{field.label}</Table.Td>
                <Table.Td>
                  <Group gap={6}>
                    {field.key.endsWith('Color') && effective.value ? (
                      <span
                        aria-hidden="true"
                        style={{
                          width: 14,
                          height: 14,
                          borderRadius: 3,
                          background: effective.value,
                          display: 'inline-block',
                        }}
                      />
                    ) : null}
                    {effective.value ?? (
                      <Text c="dimmed" span size="sm">
                        none
                      </Text>
                    )}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <SourceLabel source={effective.source} unitId={unit.id} />
                </Table.Td>
              </Table.Tr>
            );
          })}
          <Table.Tr>
            <Table.Td>Logo</Table.Td>
            <Table.Td>
              {brand.data.logo?.sha256 ? (
                <Image
                  src={`/api/v1/business-units/${encodeURIComponent(unit.id)}/brand/logo?v=${brand.data.logo.sha256.slice(0, 16)}`}
                  alt={`Logo in force at ${unit.name}`}
                  h={32}
                  w="auto"
                  fit="contain"
                />
              ) : (
                <Text c="dimmed" span size="sm">
                  none
                </Text>
              )}
            </Table.Td>
            <Table.Td>
              <SourceLabel source={brand.data.logo?.source} unitId={unit.id} />
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Td>Sign-in address</Table.Td>
            <Table.Td data-testid="sign-in-host">
              {brand.data.own.signInHost ?? (
                <Text c="dimmed" span size="sm">
                  none
                </Text>
              )}
            </Table.Td>
            <Table.Td>
              <Text size="sm" c="dimmed" span>
                this unit only; assigned by the operator
              </Text>
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {canEdit ? <BrandForm key={JSON.stringify(brand.data.own)} unit={unit} brand={brand.data} /> : null}
      {canEdit ? <LogoControls unit={unit} brand={brand.data} /> : null}
    </Stack>
  );
}

type FormValues = BrandValues & { signInHost: string };
type FormField = BrandField | 'signInHost';
const formFields: readonly FormField[] = [...fields.map((f) => f.key), 'signInHost'];

function ownValues(brand: EffectiveBrand): FormValues {
  const own = brand.own as Partial<Record<FormField, string | null>>;
  return Object.fromEntries(formFields.map((key) => [key, own[key] ?? ''])) as FormValues;
}

function BrandForm({ unit, brand }: { unit: Unit; brand: EffectiveBrand }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm<FormValues>({
    operation: 'PATCH /api/v1/business-units/{id}/brand',
    initialValues: ownValues(brand),
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    try {
      // An empty field means "inherit again" (no sign-in address); unchanged fields are not sent.
      const body: Partial<Record<FormField, string | null>> = {};
      const initial = ownValues(brand);
      for (const key of formFields) {
        const value = values[key].trim();
        if (value !== initial[key]) body[key] = value === '' ? null : value;
      }
      const updated = await call(
        api.PATCH('/api/v1/business-units/{id}/brand', { params: { path: { id: unit.id } }, body }),
      );
      queryClient.setQueryData(['brand', unit.id], updated);
      await invalidateBrands(queryClient);
      notifications.show({ message: 'Brand saved', color: 'green' });
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });

  return (
    <form onSubmit={handleSubmit} noValidate aria-labelledby="brand-form-title">
      <Stack gap="sm">
        <Title order={2} size="h5" id="brand-form-title">
          Overrides at {unit.name}
        </Title>
        <Text size="sm" c="dimmed">
          Leave a field empty to inherit it from above. Sub-units inherit what is set here until they set their own.
        </Text>
        <Group grow align="flex-start">
          <TextInput label="Product name" {...inputProps('displayName')} />
          <TextInput label="Email sender name" {...inputProps('emailSenderName')} />
        </Group>
        <Group grow align="flex-start">
          <ColorInput label="Primary colour" format="hex" placeholder="#1971c2" {...inputProps('primaryColor')} />
          <ColorInput label="Accent colour" format="hex" placeholder="#0c8599" {...inputProps('accentColor')} />
        </Group>
        <TextInput label="Email sender address" type="email" {...inputProps('emailSenderAddress')} />
        {brand.signInHostEditable ? (
          <TextInput
            label="Sign-in address"
            placeholder="backup.example.com"
            description={`A host name pointing at this server. Whoever opens the console there sees the brand of ${unit.name} before signing in. It belongs to this unit only (not inherited) and may be used by one unit.`}
            autoComplete="off"
            spellCheck={false}
            {...inputProps('signInHost')}
          />
        ) : null}
        <FormAlert message={general} />
        <Group>
          <Button type="submit" loading={busy} disabled={!form.isDirty()}>
            Save brand
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function LogoControls({ unit, brand }: { unit: Unit; brand: EffectiveBrand }) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ownLogo = Boolean((brand.own as { logo?: boolean }).logo);

  async function handleFile(file: File | null) {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      // The file is the raw body, declared with its own type (the server checks its bytes).
      const updated = await call(
        api.PUT('/api/v1/business-units/{id}/brand/logo', {
          params: { path: { id: unit.id } },
          body: file,
          bodySerializer: (body) => body as Blob,
          headers: { 'content-type': file.type || 'application/octet-stream' },
        }),
      );
      queryClient.setQueryData(['brand', unit.id], updated);
      await invalidateBrands(queryClient);
      notifications.show({ message: 'Logo uploaded', color: 'green' });
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack gap="xs">
      <Title order={2} size="h5">
        Logo
      </Title>
      <Text size="sm" c="dimmed">
        PNG, JPEG or SVG, at most 512 KiB.
      </Text>
      <Group>
        <FileButton onChange={handleFile} accept={logoTypes}>
          {(props) => (
            <Button variant="default" loading={busy} {...props}>
              Upload a logo
            </Button>
          )}
        </FileButton>
        {ownLogo ? (
          <ConfirmAction
            label="Remove the logo"
            title="Remove this unit's logo?"
            message="The unit then shows the logo it inherits from above, if any."
            onConfirm={async () => {
              const updated = await call(
                api.DELETE('/api/v1/business-units/{id}/brand/logo', { params: { path: { id: unit.id } } }),
              );
              queryClient.setQueryData(['brand', unit.id], updated);
              await invalidateBrands(queryClient);
            }}
          />
        ) : null}
      </Group>
      {error ? (
        <Text c="red.8" size="sm" role="alert">
          {error}
        </Text>
      ) : null}
    </Stack>
  );
}
