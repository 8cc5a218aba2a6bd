import { useState } from 'react';
import {
  Box,
  FormControlLabel,
  Paper,
  Switch,
  Typography,
} from '@material-ui/core';
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
    <Paper variant="outlined" data-testid={`my-number-${number.number}`}>
      <Box p={2} display="flex" flexDirection="column" gridGap={8}>
        <Box display="flex" alignItems="center" gridGap={16}>
          <Typography variant="h6" component="h2">
            {number.number}
          </Typography>
          <StatusBadge status={number.status} fmu={number.fmu} />
        </Box>
        <Typography data-testid="recording-now">
          Being recorded now: <strong>{now.recording ? 'Yes' : 'No'}</strong> (
          {now.why})
        </Typography>
        {number.settings.selfManaged && (
          <FormControlLabel
            label="Professional mode"
            control={
              <Switch
                checked={professional}
                disabled={busy}
                onChange={e => toggle(e.target.checked)}
                color="primary"
              />
            }
          />
        )}
        <ErrorAlert error={error} />
        <RecordingRule number={number} owner />
        {/* Only the schedule's grid when the schedule decides: a Manual or FMU number's
            grid would contradict what actually happens. */}
        {recordingRuleKind(number) === 'schedule' && (
          <WeekGrid
            slots={number.slots}
            hourHeight={10}
            timeZone={number.settings.timeZone}
          />
        )}
      </Box>
    </Paper>
  );
}
