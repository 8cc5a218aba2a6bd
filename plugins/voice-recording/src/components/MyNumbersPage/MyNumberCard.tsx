import { useState } from 'react';
import { Card, CardBody, Checkbox, Flex, Text } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import {
  RecordingRule,
  recordingRuleKind,
} from '../RecordingRule/RecordingRule';
import { recordingNow } from './recordingNow';

/** One of the signed-in user's numbers: recorded now or not and why, professional-mode switch. */
export function MyNumberCard(props: { number: RecordedNumberWithStatus }) {
  const api = useApi(voiceRecordingApiRef);
  const [number, setNumber] = useState(props.number);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const now = recordingNow(number);
  const professional =
    number.settings.statusMode === 'manual' &&
    number.settings.activeStatus === 'professional';

  const toggle = async (enabled: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      setNumber(await api.setProfessionalMode(number.id, enabled));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card data-testid={`my-number-${number.number}`}>
      <CardBody>
        <Flex direction="column" gap="2">
          <Flex align="center" gap="4" style={{ flexWrap: 'wrap' }}>
            <Text as="h2" variant="title-x-small">
              {number.number}
            </Text>
            <StatusBadge status={number.status} fmu={number.fmu} />
          </Flex>
          <Text as="p" data-testid="recording-now">
            Being recorded now: <strong>{now.recording ? 'Yes' : 'No'}</strong>{' '}
            ({now.why})
          </Text>
          {number.settings.selfManaged && (
            <Checkbox
              isSelected={professional}
              isDisabled={busy}
              onChange={toggle}
            >
              Professional mode
            </Checkbox>
          )}
          <ErrorAlert error={error} />
          {/* The rule names the time zone of the schedule ("times in Europe/Brussels"),
              so the grid below carries no second zone caption. */}
          <RecordingRule number={number} owner />
          {/* Only the schedule's grid when the schedule decides: a Manual or FMU number's
              grid would contradict what actually happens. */}
          {recordingRuleKind(number) === 'schedule' && (
            <WeekGrid slots={number.slots} hourHeight={10} />
          )}
        </Flex>
      </CardBody>
    </Card>
  );
}
