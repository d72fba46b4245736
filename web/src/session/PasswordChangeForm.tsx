import { Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../api/client.ts';
import { FormAlert } from '../components/FormAlert.tsx';
import { useApiForm } from '../forms/use-api-form.ts';
import { meKey } from './use-me.ts';

/**
 * Changes the signed-in user's password (forced after a one-time password, or by choice).
 * The server ends every other session and sets new cookies for this browser.
 */
export function PasswordChangeForm({ onDone }: { onDone?(): void }) {
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const { form, general, showProblem, inputProps } = useApiForm({
    operation: 'POST /api/v1/auth/change-password',
    initialValues: { currentPassword: '', newPassword: '', confirmPassword: '' },
    fields: ['currentPassword', 'newPassword'],
    // The server names the field of its own refusals (password_policy → newPassword); a wrong
    // current password is deliberately vague (invalid_credentials), so it is placed here.
    codeFields: { invalid_credentials: 'currentPassword' },
    extraChecks: (values) =>
      values.confirmPassword !== values.newPassword ? { confirmPassword: 'does not match the new password' } : {},
  });
  const handleSubmit = form.onSubmit(async (values) => {
    setBusy(true);
    setSaved(false);
    try {
      await call(
        api.POST('/api/v1/auth/change-password', {
          body: { currentPassword: values.currentPassword, newPassword: values.newPassword },
        }),
      );
      form.reset();
      setSaved(true);
      await queryClient.invalidateQueries({ queryKey: meKey });
      onDone?.();
    } catch (error) {
      showProblem(error);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={handleSubmit} noValidate aria-label="Change password">
      <Stack>
        <PasswordInput label="Current password" autoComplete="current-password" {...inputProps('currentPassword')} />
        <PasswordInput label="New password" autoComplete="new-password" {...inputProps('newPassword')} />
        <PasswordInput
          label="Repeat the new password"
          autoComplete="new-password"
          withAsterisk
          {...form.getInputProps('confirmPassword')}
        />
        <FormAlert message={general} />
        {saved ? (
          <Text c="green.9" size="sm" role="status">
            Password changed. Other sessions were signed out.
          </Text>
        ) : null}
        <Button type="submit" loading={busy}>
          Change password
        </Button>
      </Stack>
    </form>
  );
}
