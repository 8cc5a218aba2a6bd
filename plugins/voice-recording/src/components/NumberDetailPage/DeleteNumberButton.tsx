import { useState } from 'react';
import { Button, Flex } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  RecordedNumberWithStatus,
  voiceRecordingNumberDeletePermission,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ConfirmDialog } from '../ConfirmDialog/ConfirmDialog';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';

/**
 * "Delete number" for those allowed (admins), after a confirmation that says
 * what happens: the number is no longer recorded, its conversations are kept.
 * Its error is shown next to it and cleared by the next attempt.
 */
export function DeleteNumberButton(props: {
  number: RecordedNumberWithStatus;
  disabled?: boolean;
  onDeleted: () => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const { allowed } = usePermission({
    permission: voiceRecordingNumberDeletePermission,
    resourceRef: props.number.id,
  });
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  if (!allowed) return null;

  const remove = async () => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    try {
      await api.deleteNumber(props.number.id);
      props.onDeleted();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Flex direction="column" gap="2">
      <div>
        <Button
          variant="secondary"
          isDisabled={props.disabled || busy}
          onPress={() => {
            setError(undefined);
            setAsking(true);
          }}
        >
          Delete number
        </Button>
      </div>
      <ErrorAlert error={error} title="Could not delete the number" />
      <ConfirmDialog
        open={asking}
        title="Delete number"
        text={`Delete ${props.number.number}? It is no longer recorded and its settings and schedule are removed. Its recorded conversations are kept (they are evidence).`}
        confirmLabel="Confirm delete"
        onConfirm={remove}
        onClose={() => setAsking(false)}
      />
    </Flex>
  );
}
