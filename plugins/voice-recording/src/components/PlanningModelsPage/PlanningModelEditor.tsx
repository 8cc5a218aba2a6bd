import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { FormEvent, useMemo, useState } from 'react';
import { Box, Button, Grid, Paper, Typography } from '@material-ui/core';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  PlanningModel,
  SlotError,
  TimeSlot,
  validateSlots,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorDetails } from '../../api/errors';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import { SlotEditor } from './SlotEditor';

const DEFAULT_SLOTS: TimeSlot[] = [
  { weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
];

/** Create or edit a planning model, with a live week-grid preview. */
export function PlanningModelEditor(props: {
  model?: PlanningModel;
  onSaved: (model: PlanningModel) => void;
  onCancel: () => void;
}) {
  const api = useApi(voiceRecordingApiRef);
  const [name, setName] = useState(props.model?.name ?? '');
  const [description, setDescription] = useState(
    props.model?.description ?? '',
  );
  const [slots, setSlots] = useState<TimeSlot[]>(
    props.model?.slots.map(({ weekdays, start, end }) => ({
      weekdays,
      start,
      end,
    })) ?? DEFAULT_SLOTS,
  );
  const [serverSlotErrors, setServerSlotErrors] = useState<SlotError[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [submitted, setSubmitted] = useState(false);

  const localErrors = useMemo(() => validateSlots(slots), [slots]);
  // Backend errors describe the list that was sent; once the slots change, instant checks take over.
  // Before the first save only overlaps are flagged, so a half-typed new row stays quiet.
  let slotErrors = localErrors.filter(e => e.otherIndex !== undefined);
  if (serverSlotErrors.length) slotErrors = serverSlotErrors;
  else if (submitted) slotErrors = localErrors;

  const changeSlots = (next: TimeSlot[]) => {
    setSlots(next);
    setServerSlotErrors([]);
    setError(undefined);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setError(undefined);
    if (localErrors.length) return;
    setBusy(true);
    try {
      const input = {
        name: name.trim(),
        description: description.trim() || undefined,
        slots,
      };
      const saved = props.model
        ? await api.updatePlanningModel(props.model.id, input)
        : await api.createPlanningModel(input);
      props.onSaved(saved);
    } catch (err) {
      setError(err);
      setServerSlotErrors(errorDetails(err).slotErrors ?? []);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Paper variant="outlined">
      <Box p={2} component="form" onSubmit={submit} aria-label="Planning model">
        <Typography variant="h6" component="h2" gutterBottom>
          {props.model
            ? `Edit planning model ${props.model.name}`
            : 'New planning model'}
        </Typography>
        <Grid container spacing={2}>
          <Grid item xs={12} md={6}>
            <Box display="flex" flexDirection="column" gridGap={12}>
              <LabeledTextField
                label="Name"
                required
                value={name}
                onChange={e => {
                  setName(e.target.value);
                  setError(undefined);
                }}
              />
              <LabeledTextField
                label="Description"
                value={description}
                onChange={e => {
                  setDescription(e.target.value);
                  setError(undefined);
                }}
              />
              <SlotEditor
                slots={slots}
                errors={slotErrors}
                onChange={changeSlots}
                disabled={busy}
              />
            </Box>
          </Grid>
          <Grid item xs={12} md={6}>
            <Typography variant="subtitle2">Preview</Typography>
            <WeekGrid
              slots={slots}
              errorIndexes={slotErrors.map(e => e.index)}
            />
          </Grid>
          <Grid item xs={12}>
            <ErrorAlert error={error} />
            {submitted && localErrors.length > 0 && (
              <Typography color="error" role="alert">
                Fix the slot errors above before saving.
              </Typography>
            )}
          </Grid>
          <Grid item xs={12}>
            <Box display="flex" gridGap={8}>
              <Button
                type="submit"
                variant="contained"
                color="primary"
                disabled={busy}
              >
                Save planning model
              </Button>
              <Button onClick={props.onCancel}>Cancel</Button>
            </Box>
          </Grid>
        </Grid>
      </Box>
    </Paper>
  );
}
