import { ReactNode, useCallback, useState } from 'react';
import {
  Button,
  Dialog,
  DialogBody,
  DialogFooter,
  DialogHeader,
  Flex,
} from '@backstage/ui';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';

/**
 * A dialog's submission: `run` marks it busy, clears the previous error, runs the
 * action and keeps its error (shown by {@link FormDialog}) instead of throwing.
 */
export function useSubmission() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}

/**
 * A form in a dialog: its title, the fields (a column), the backend's error under them
 * (it stays in the dialog), Cancel and the confirming button (disabled while busy).
 * Closing (Cancel, Escape, outside) calls `onClose`.
 */
export function FormDialog(props: {
  title: ReactNode;
  children: ReactNode;
  error: unknown;
  /** The error's title, e.g. "Hold not placed". */
  errorTitle: string;
  confirmLabel: ReactNode;
  busy: boolean;
  /** The confirmed action deletes or refuses something: a red button. */
  destructive?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog
      isOpen
      onOpenChange={isOpen => {
        if (!isOpen) props.onClose();
      }}
    >
      <DialogHeader>{props.title}</DialogHeader>
      <DialogBody>
        <Flex direction="column" gap="3">
          {props.children}
          <ErrorAlert error={props.error} title={props.errorTitle} />
        </Flex>
      </DialogBody>
      <DialogFooter>
        <Button variant="secondary" onPress={props.onClose}>
          Cancel
        </Button>
        <Button
          variant="primary"
          destructive={props.destructive}
          isDisabled={props.busy}
          onPress={props.onConfirm}
        >
          {props.confirmLabel}
        </Button>
      </DialogFooter>
    </Dialog>
  );
}
