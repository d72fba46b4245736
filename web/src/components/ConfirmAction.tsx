import { Button, type ButtonProps, Group, Modal, Stack, Text } from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { errorText } from './QueryState.tsx';

interface ConfirmActionProps extends Omit<ButtonProps, 'onClick'> {
  /** The button's text, and the dialog's confirm button. */
  label: string;
  title: string;
  /** What will happen, in words (shown in the dialog). */
  message: ReactNode;
  onConfirm(): Promise<unknown>;
  confirmLabel?: string;
  danger?: boolean;
}

/** A button that asks before doing something that cannot be undone, and shows the API's refusal in the dialog. */
export function ConfirmAction({
  label,
  title,
  message,
  onConfirm,
  confirmLabel,
  danger = true,
  ...buttonProps
}: ConfirmActionProps) {
  const [opened, setOpened] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function handleConfirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setOpened(false);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <Button
        variant="light"
        color={danger ? 'red' : undefined}
        {...buttonProps}
        onClick={() => {
          setError(null);
          setOpened(true);
        }}
      >
        {label}
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} title={title} centered>
        <Stack>
          <Text size="sm">{message}</Text>
          {error ? (
            <Text c="red.8" size="sm" role="alert">
              {error}
            </Text>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              Cancel
            </Button>
            <Button color={danger ? 'red' : undefined} loading={busy} onClick={handleConfirm} data-autofocus>
              {confirmLabel ?? label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
