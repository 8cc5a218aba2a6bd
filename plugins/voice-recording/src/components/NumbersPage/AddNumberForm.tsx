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

  if (!open) {
    return (
      <Box>
        <Button
          variant="outlined"
          color="primary"
          onClick={() => setOpen(true)}
        >
          Add number
        </Button>
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
    setError(undefined);
    try {
      await api.createNumber({
        number: number.trim(),
        userRef,
        mvrActive,
        planningModelId: planningModelId || undefined,
      });
      setNumber('');
      setUserRef(undefined);
      setOpen(false);
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
            onChange={setUserRef}
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
        <Button onClick={() => setOpen(false)}>Cancel</Button>
        <Box width="100%">
          <ErrorAlert error={error ?? models.error} />
        </Box>
      </Box>
    </Paper>
  );
}
