import useAsync from 'react-use/esm/useAsync';
import {
  Box,
  Grid,
  LinearProgress,
  Paper,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { Link } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import { ANNOTATION_NUMBER, ANNOTATION_NUMBER_ID } from '../../constants';
import { numberDetailRouteRef } from '../../routes';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import {
  RecordingRule,
  recordingRuleKind,
} from '../RecordingRule/RecordingRule';
import { NumberSettingsSummary } from './NumberSettingsSummary';

/** "Voice recording" tab of a recorded-number entity: status, settings and schedule. */
export function EntityVoiceRecordingContent() {
  const { entity } = useEntity();
  const api = useApi(voiceRecordingApiRef);
  const detailLink = useRouteRef(numberDetailRouteRef);
  const annotations = entity.metadata.annotations ?? {};
  const id = annotations[ANNOTATION_NUMBER_ID];
  const phone = annotations[ANNOTATION_NUMBER];

  const {
    value: number,
    loading,
    error,
  } = useAsync(async () => {
    if (id) return api.getNumber(id);
    if (phone) return api.getNumberByPhone(phone);
    return undefined;
  }, [api, id, phone]);

  if (!id && !phone) {
    return (
      <Alert severity="info">
        This entity has no {ANNOTATION_NUMBER_ID} or {ANNOTATION_NUMBER}{' '}
        annotation.
      </Alert>
    );
  }
  if (loading) return <LinearProgress />;
  if (error) {
    if (errorStatus(error) === 404) {
      return (
        <Alert severity="warning" data-testid="number-not-visible">
          {phone ?? id} is not a recorded number you can see.
        </Alert>
      );
    }
    return <ErrorAlert error={error} />;
  }
  if (!number) return null;

  return (
    <Grid container spacing={2}>
      <Grid item xs={12}>
        <Box display="flex" alignItems="center" gridGap={16}>
          <Typography variant="h5" component="h2" data-testid="number-title">
            {number.number}
          </Typography>
          <StatusBadge status={number.status} fmu={number.fmu} />
          {detailLink && (
            <Link to={detailLink({ id: number.id })}>
              Open in Voice recording
            </Link>
          )}
        </Box>
      </Grid>
      <Grid item xs={12} md={4}>
        <Paper variant="outlined">
          <NumberSettingsSummary number={number} />
        </Paper>
      </Grid>
      <Grid item xs={12} md={8}>
        <RecordingRule number={number} />
        {recordingRuleKind(number) === 'schedule' && (
          <WeekGrid slots={number.slots} timeZone={number.settings.timeZone} />
        )}
      </Grid>
    </Grid>
  );
}
