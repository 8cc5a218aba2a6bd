import { useEffect, useState } from 'react';
import { Text, TextAreaField } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type { RecordingAlarm } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { FieldErrorText } from '../FieldErrorText/FieldErrorText';
import { FormDialog, useSubmission } from '../FormDialog/FormDialog';

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
  const { busy, error, setError, run } = useSubmission();

  useEffect(() => {
    setComment('');
    setMissing(false);
    setError(undefined);
  }, [alarm?.id, setError]);

  if (!alarm) return null;

  const submit = async () => {
    if (!comment.trim()) {
      setMissing(true);
      return;
    }
    await run(async () =>
      props.onDone(await api.acknowledgeRecordingAlarm(alarm.id, comment)),
    );
  };

  return (
    <FormDialog
      title="Acknowledge alarm"
      error={error}
      errorTitle="Could not acknowledge"
      confirmLabel="Acknowledge"
      busy={busy}
      onConfirm={submit}
      onClose={props.onClose}
    >
      <Text as="p" data-testid="acknowledge-summary">
        {alarm.number ? `${alarm.number}: ` : ''}
        {alarm.summary}
      </Text>
      <Text as="p" variant="body-small" color="secondary">
        The alarm stays until calls are recorded again; acknowledging it says
        that you have taken it. Your name and comment are kept with it and in
        the audit trail.
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
        {missing ? 'A comment is required to acknowledge an alarm' : undefined}
      </FieldErrorText>
    </FormDialog>
  );
}
