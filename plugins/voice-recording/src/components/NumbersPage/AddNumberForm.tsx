import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { FormEvent, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Box,
  Button,
  Checkbox,
  FormControlLabel,
  Paper,
} from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import { normalizePhoneNumber } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';

/** Admin form to register a recorded number (POST /numbers). */
export function AddNumberForm(props: { onCreated: () => void }) {
  const api = useApi(voiceRecordingApiRef);
  const [open, setOpen] = useState(false);
  const [number, setNumber] = useState('');
  const [userRef, setUserRef] = useState<string>();
  const [mvrActive, setMvrActive] = useState(true);
  const [planningModelId, setPlanningModelId] = useState('');
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<string>();
  const [busy, setBusy] = useState(false);
  const models = useAsync(
    async () => (open ? api.listPlanningModels() : undefined),
    [api, open],
  );

  // Instant feedback with the same rule as the backend; the backend still decides.
  const check = number.trim() ? normalizePhoneNumber(number, 'BE') : undefined;
  const numberError =
    check && !check.ok && number.trim().startsWith('+')
      ? check.error
      : undefined;

  // Each message belongs to this form's last action: opening, closing or
  // changing the form makes it stale.
  const changed = () => {
    setError(undefined);
    setCreated(undefined);
  };

  if (!open) {
    return (
      <Box display="flex" flexDirection="column" gridGap={8}>
        <Box>
          <Button
            variant="outlined"
            color="primary"
            onClick={() => {
              changed();
              setOpen(true);
            }}
          >
            Add number
          </Button>
        </Box>
        {created && (
          <Alert severity="success" data-testid="success-alert">
            Number {created} added
          </Alert>
        )}
      </Box>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!userRef) {
      setError(new Error('Owner: choose the person this number belongs to'));
      return;
    }
    setBusy(true);
    changed();
    try {
      const saved = await api.createNumber({
        number: number.trim(),
        userRef,
        mvrActive,
        planningModelId: planningModelId || undefined,
      });
      setNumber('');
      setUserRef(undefined);
      setOpen(false);
      setCreated(saved.number);
      props.onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Paper variant="outlined">
      <Box
        p={2}
        component="form"
        onSubmit={submit}
        onChange={changed}
        display="flex"
        flexWrap="wrap"
        gridGap={16}
        alignItems="center"
      >
        <LabeledTextField
          label="Phone number"
          required
          value={number}
          onChange={e => setNumber(e.target.value)}
          error={!!numberError}
          helperText={numberError ?? 'E.164 (+32470123456) or national'}
        />
        <Box minWidth={280}>
          <PeoplePicker
            label="Owner"
            required
            placeholder="Name or email"
            value={userRef}
            onChange={ref => {
              setUserRef(ref);
              changed();
            }}
          />
        </Box>
        <FormControlLabel
          label="MVR active"
          control={
            <Checkbox
              checked={mvrActive}
              onChange={e => setMvrActive(e.target.checked)}
            />
          }
        />
        <LabeledTextField
          select
          SelectProps={{ native: true }}
          InputLabelProps={{ shrink: true }}
          label="Planning model"
          style={{ minWidth: 200 }}
          value={planningModelId}
          onChange={e => setPlanningModelId(e.target.value)}
        >
          <option value="">Default slot</option>
          {models.value?.items.map(m => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
        </LabeledTextField>
        <Button
          type="submit"
          variant="contained"
          color="primary"
          disabled={busy}
        >
          Create number
        </Button>
        <Button
          onClick={() => {
            changed();
            setOpen(false);
          }}
        >
          Cancel
        </Button>
        <Box width="100%">
          <ErrorAlert error={error ?? models.error} />
        </Box>
      </Box>
    </Paper>
  );
}
