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
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { Link } from '@backstage/core-components';
import { rootRouteRef, TAB_PATHS } from '../../routes';
import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { PersonName } from '../PersonName/PersonName';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import {
  RecordingRule,
  recordingRuleKind,
} from '../RecordingRule/RecordingRule';
import { NumberSettingsForm } from './NumberSettingsForm';
import { SlotList } from './SlotList';
import { DeleteNumberButton } from './DeleteNumberButton';
import { AddSlotForm } from './AddSlotForm';
import { ApplyPlanningModelForm } from './ApplyPlanningModelForm';

type SectionName = 'settings' | 'schedule';

/** The outcome of the last action, shown in the section whose action raised it. */
interface Outcome {
  section: SectionName;
  error?: unknown;
  notice?: string;
}

/**
 * A titled section; its action's message is shown at its end and any change in
 * its fields (a bubbling change event) makes that message stale (`onEdit`).
 */
function Section(props: {
  title: string;
  outcome?: Outcome;
  onEdit?: () => void;
  children: React.ReactNode;
}) {
  const { outcome } = props;
  return (
    <Paper variant="outlined">
      <Box p={2} onChange={props.onEdit}>
        <Typography variant="h6" component="h2" gutterBottom>
          {props.title}
        </Typography>
        {props.children}
        {outcome && (
          <Box mt={1}>
            <ErrorAlert error={outcome.error} />
            {outcome.notice && !outcome.error && (
              <Alert severity="success" data-testid="success-alert">
                {outcome.notice}
              </Alert>
            )}
          </Box>
        )}
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
  const [outcome, setOutcome] = useState<Outcome>();
  const [deleted, setDeleted] = useState<string>();
  const rootLink = useRouteRef(rootRouteRef);

  useEffect(() => setNumber(loaded.value), [loaded.value]);

  const run = async (
    section: SectionName,
    what: string,
    action: () => Promise<RecordedNumberWithStatus>,
  ): Promise<boolean> => {
    setBusy(true);
    setOutcome(undefined);
    try {
      setNumber(await action());
      setOutcome({ section, notice: what });
      return true;
    } catch (e) {
      setOutcome({ section, error: e });
      return false;
    } finally {
      setBusy(false);
    }
  };

  // A change in a section's fields makes its last message stale.
  const editedIn = (section: SectionName) =>
    setOutcome(o => (o?.section === section ? undefined : o));

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
  if (deleted) {
    return (
      <Alert severity="success" data-testid="success-alert">
        Number {deleted} deleted. Its recorded conversations are kept.{' '}
        {rootLink && (
          <Link to={`${rootLink()}/${TAB_PATHS.numbers}`}>
            Back to the numbers
          </Link>
        )}
      </Alert>
    );
  }
  if (!number) return null;

  return (
    <Box display="flex" flexDirection="column" gridGap={16}>
      <Box display="flex" alignItems="center" gridGap={16}>
        <Typography variant="h5" component="h1" data-testid="number-title">
          {number.number}
        </Typography>
        <StatusBadge status={number.status} fmu={number.fmu} />
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
      <Section
        title="Settings"
        outcome={outcome?.section === 'settings' ? outcome : undefined}
        onEdit={() => editedIn('settings')}
      >
        <NumberSettingsForm
          number={number}
          disabled={!canUpdateNumbers}
          canChangeOwner={canCreateNumbers}
          busy={busy}
          onSave={request =>
            run('settings', 'Settings saved', () =>
              api.updateNumber(number.id, request),
            )
          }
        />
      </Section>
      <Section
        title="Weekly schedule"
        outcome={outcome?.section === 'schedule' ? outcome : undefined}
        onEdit={() => editedIn('schedule')}
      >
        <Grid container spacing={2}>
          <Grid item xs={12} md={8}>
            <RecordingRule number={number} />
            {recordingRuleKind(number) !== 'schedule' && (
              <Typography
                variant="body2"
                color="textSecondary"
                data-testid="schedule-not-in-effect"
              >
                The weekly schedule below is not in effect while the number is
                not on Auto.
              </Typography>
            )}
            <WeekGrid
              slots={number.slots}
              timeZone={number.settings.timeZone}
            />
          </Grid>
          <Grid item xs={12} md={4}>
            <SlotList
              slots={number.slots}
              disabled={busy}
              onDelete={
                canUpdateNumbers
                  ? slot =>
                      run('schedule', 'Slot deleted', () =>
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
                    run('schedule', 'Slot added', () =>
                      api.addSlot(number.id, slot),
                    )
                  }
                />
              </Grid>
              <Grid item xs={12}>
                <ApplyPlanningModelForm
                  busy={busy}
                  onApply={modelId =>
                    run('schedule', 'Planning model applied', () =>
                      api.applyPlanningModel(number.id, modelId),
                    )
                  }
                />
              </Grid>
            </>
          )}
        </Grid>
      </Section>
      <DeleteNumberButton
        number={number}
        disabled={busy}
        onDeleted={() => setDeleted(number.number)}
      />
    </Box>
  );
}
