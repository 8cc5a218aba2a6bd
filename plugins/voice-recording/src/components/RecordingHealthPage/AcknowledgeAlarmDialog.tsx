import { useEffect, useState } from 'react';
import {
  Button,
  Dialog,
  DialogBody,
  DialogFooter,
  DialogHeader,
  Flex,
  Text,
  TextAreaField,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type { RecordingAlarm } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { FieldErrorText } from '../FieldErrorText/FieldErrorText';

/**
 * Acknowledges a recording alarm with a comment (required: what is being done about
 * it). The error stays in the dialog; on success the updated alarm is handed back.
 */
export function AcknowledgeAlarmDialog(props: {
  alarm: RecordingAlarm | undefined;
  onClose: () => void;
  onDone: (updated: RecordingAlarm) => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const { alarm } = props;
  const [comment, setComment] = useState('');
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setComment('');
    setMissing(false);
    setError(undefined);
  }, [alarm?.id]);

  if (!alarm) return null;

  const submit = async () => {
    if (!comment.trim()) {
      setMissing(true);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      props.onDone(await api.acknowledgeRecordingAlarm(alarm.id, comment));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      isOpen
      onOpenChange={isOpen => {
        if (!isOpen) props.onClose();
      }}
    >
      <DialogHeader>Acknowledge alarm</DialogHeader>
      <DialogBody>
        <Flex direction="column" gap="3">
          <Text as="p" data-testid="acknowledge-summary">
            {alarm.number ? `${alarm.number}: ` : ''}
            {alarm.summary}
          </Text>
          <Text as="p" variant="body-small" color="secondary">
            The alarm stays until calls are recorded again; acknowledging it
            says that you have taken it. Your name and comment are kept with it
            and in the audit trail.
          </Text>
          <TextAreaField
            label="Comment"
            secondaryLabel="Required"
            placeholder="What is being done, e.g. operator ticket 4711"
            value={comment}
            onChange={value => {
              setComment(value);
              if (value.trim()) setMissing(false);
            }}
            isInvalid={missing}
          />
          <FieldErrorText>
            {missing
              ? 'A comment is required to acknowledge an alarm'
              : undefined}
          </FieldErrorText>
          <ErrorAlert error={error} title="Could not acknowledge" />
        </Flex>
      </DialogBody>
      <DialogFooter>
        <Button variant="secondary" onPress={props.onClose}>
          Cancel
        </Button>
        <Button variant="primary" isDisabled={busy} onPress={submit}>
          Acknowledge
        </Button>
      </DialogFooter>
    </Dialog>
  );
}
