import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import {
  Box,
  Grid,
  LinearProgress,
  Paper,
  Typography,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { PersonName } from '../PersonName/PersonName';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import { NumberSettingsForm } from './NumberSettingsForm';
import { SlotList } from './SlotList';
import { AddSlotForm } from './AddSlotForm';
import { ApplyPlanningModelForm } from './ApplyPlanningModelForm';

function Section(props: { title: string; children: React.ReactNode }) {
  return (
    <Paper variant="outlined">
      <Box p={2}>
        <Typography variant="h6" component="h2" gutterBottom>
          {props.title}
        </Typography>
        {props.children}
      </Box>
    </Paper>
  );
}

/** One recorded number: settings, weekly schedule, slots and planning model. */
export function NumberDetailPage() {
  const { id = '' } = useParams();
  const api = useApi(voiceRecordingApiRef);
  const { canUpdateNumbers, canCreateNumbers } =
    useVoiceRecordingPermissions(id);
  const loaded = useAsync(() => api.getNumber(id), [api, id]);
  const [number, setNumber] = useState<RecordedNumberWithStatus>();
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();

  useEffect(() => setNumber(loaded.value), [loaded.value]);

  const run = async (
    what: string,
    action: () => Promise<RecordedNumberWithStatus>,
  ): Promise<boolean> => {
    setBusy(true);
    setActionError(undefined);
    setNotice(undefined);
    try {
      setNumber(await action());
      setNotice(what);
      return true;
    } catch (e) {
      setActionError(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (loaded.loading) return <LinearProgress />;
  if (loaded.error) {
    // 404 covers both "does not exist" and "not yours" (visibility is filtered in SQL).
    if (errorStatus(loaded.error) === 404) {
      return (
        <Alert severity="warning" data-testid="number-not-visible">
          This is not a recorded number you can see.
        </Alert>
      );
    }
    return <ErrorAlert error={loaded.error} />;
  }
  if (!number) return null;

  return (
    <Box display="flex" flexDirection="column" gridGap={16}>
      <Box display="flex" alignItems="center" gridGap={16}>
        <Typography variant="h5" component="h1" data-testid="number-title">
          {number.number}
        </Typography>
        <StatusBadge status={number.status} />
        <Typography color="textSecondary" data-testid="number-owner">
          <PersonName entityRef={number.userRef} />
        </Typography>
        {number.planningModel && (
          <Typography color="textSecondary">
            Planning model: {number.planningModel}
          </Typography>
        )}
      </Box>
      {busy && <LinearProgress />}
      <ErrorAlert error={actionError} />
      {notice && !actionError && (
        <Alert severity="success" data-testid="success-alert">
          {notice}
        </Alert>
      )}
      <Section title="Settings">
        <NumberSettingsForm
          number={number}
          disabled={!canUpdateNumbers}
          canChangeOwner={canCreateNumbers}
          busy={busy}
          onSave={request =>
            run('Settings saved', () => api.updateNumber(number.id, request))
          }
        />
      </Section>
      <Section title="Weekly schedule">
        <Grid container spacing={2}>
          <Grid item xs={12} md={8}>
            <WeekGrid slots={number.slots} />
          </Grid>
          <Grid item xs={12} md={4}>
            <SlotList
              slots={number.slots}
              disabled={busy}
              onDelete={
                canUpdateNumbers
                  ? slot =>
                      run('Slot deleted', () =>
                        api.deleteSlot(number.id, slot.id!),
                      )
                  : undefined
              }
            />
          </Grid>
          {canUpdateNumbers && (
            <>
              <Grid item xs={12}>
                <AddSlotForm
                  busy={busy}
                  onAdd={slot =>
                    run('Slot added', () => api.addSlot(number.id, slot))
                  }
                />
              </Grid>
              <Grid item xs={12}>
                <ApplyPlanningModelForm
                  busy={busy}
                  onApply={modelId =>
                    run('Planning model applied', () =>
                      api.applyPlanningModel(number.id, modelId),
                    )
                  }
                />
              </Grid>
            </>
          )}
        </Grid>
      </Section>
    </Box>
  );
}
