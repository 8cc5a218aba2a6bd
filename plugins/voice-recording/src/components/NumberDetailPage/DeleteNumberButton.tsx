import { useState } from 'react';
import { Box, Button } from '@material-ui/core';
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
    <Box display="flex" flexDirection="column" gridGap={8}>
      <Box>
        <Button
          variant="outlined"
          color="secondary"
          disabled={props.disabled || busy}
          onClick={() => {
            setError(undefined);
            setAsking(true);
          }}
        >
          Delete number
        </Button>
      </Box>
      <ErrorAlert error={error} title="Could not delete the number" />
      <ConfirmDialog
        open={asking}
        title="Delete number"
        text={`Delete ${props.number.number}? It is no longer recorded and its settings and schedule are removed. Its recorded conversations are kept (they are evidence).`}
        confirmLabel="Confirm delete"
        onConfirm={remove}
        onClose={() => setAsking(false)}
      />
    </Box>
  );
}
