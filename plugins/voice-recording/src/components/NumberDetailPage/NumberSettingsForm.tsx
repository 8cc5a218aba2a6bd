import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { FormEvent, useEffect, useState } from 'react';
import {
  Box,
  Button,
  Checkbox,
  FormControlLabel,
  Grid,
} from '@material-ui/core';
import {
  NumberSettings,
  RecordedNumberWithStatus,
  validateNumberSettings,
} from '@mvr/plugin-voice-recording-common';
import { UpdateNumberRequest } from '../../api/VoiceRecordingApi';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';

interface FormState {
  userRef: string | undefined;
  mvrActive: boolean;
  fmu: boolean;
  settings: NumberSettings;
}

const fromNumber = (n: RecordedNumberWithStatus): FormState => ({
  userRef: n.userRef,
  mvrActive: n.mvrActive,
  fmu: n.fmu,
  settings: { ...n.settings },
});

/** Per-number settings with a Save button; rule errors show next to the field at once. */
export function NumberSettingsForm(props: {
  number: RecordedNumberWithStatus;
  disabled?: boolean;
  /** May give the number to someone else (admins). */
  canChangeOwner?: boolean;
  busy?: boolean;
  onSave: (request: UpdateNumberRequest) => void;
}) {
  const [state, setState] = useState<FormState>(() => fromNumber(props.number));
  useEffect(() => setState(fromNumber(props.number)), [props.number]);

  const fieldErrors = validateNumberSettings(state.settings, state);
  const errorOf = (field: string) =>
    fieldErrors.find(e => e.field === field)?.message;
  const setSetting = <K extends keyof NumberSettings>(
    key: K,
    value: NumberSettings[K],
  ) => setState(s => ({ ...s, settings: { ...s.settings, [key]: value } }));
  const disabled = props.disabled || props.busy;

  const check = (
    label: string,
    checked: boolean,
    onChange: (v: boolean) => void,
  ) => (
    <FormControlLabel
      label={label}
      control={
        <Checkbox
          checked={checked}
          disabled={disabled}
          onChange={e => onChange(e.target.checked)}
        />
      }
    />
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const ownerChanged =
      !!state.userRef && state.userRef !== props.number.userRef;
    props.onSave({
      ...(ownerChanged ? { userRef: state.userRef } : {}),
      mvrActive: state.mvrActive,
      fmu: state.fmu,
      settings: state.settings,
    });
  };

  return (
    <Box component="form" onSubmit={submit} aria-label="Number settings">
      <Grid container spacing={1}>
        {props.canChangeOwner && !props.disabled && (
          <Grid item xs={12} sm={6} md={4}>
            <PeoplePicker
              label="Owner"
              required
              disabled={props.busy}
              value={state.userRef}
              onChange={ref => setState(s => ({ ...s, userRef: ref }))}
              helperText="The person whose calls on this number are recorded"
            />
          </Grid>
        )}
        <Grid item xs={12} sm={6}>
          {check('MVR active', state.mvrActive, v =>
            setState(s => ({ ...s, mvrActive: v })),
          )}
          {check('FMU', state.fmu, v => setState(s => ({ ...s, fmu: v })))}
          {errorOf('mvrActive') && (
            <Box color="error.main" fontSize="0.8rem">
              {errorOf('mvrActive')}
            </Box>
          )}
        </Grid>
        <Grid item xs={12} sm={6}>
          {check('Beep', state.settings.beep, v => setSetting('beep', v))}
          {check('SMS on status change', state.settings.smsOnStatusChange, v =>
            setSetting('smsOnStatusChange', v),
          )}
          {check('Self-management', state.settings.selfManaged, v =>
            setSetting('selfManaged', v),
          )}
          {check('Simultaneous calls', state.settings.simultaneousCalls, v =>
            setSetting('simultaneousCalls', v),
          )}
        </Grid>
        <Grid item xs={12} sm={4}>
          <LabeledTextField
            select
            fullWidth
            label="Status mode"
            SelectProps={{ native: true }}
            disabled={disabled}
            value={state.settings.statusMode}
            onChange={e =>
              setSetting(
                'statusMode',
                e.target.value as NumberSettings['statusMode'],
              )
            }
            error={!!errorOf('statusMode')}
            helperText={errorOf('statusMode') ?? 'Auto follows the schedule'}
          >
            <option value="auto">Auto</option>
            <option value="manual">Manual</option>
          </LabeledTextField>
        </Grid>
        <Grid item xs={12} sm={4}>
          <LabeledTextField
            select
            fullWidth
            label="Active status"
            SelectProps={{ native: true }}
            disabled={disabled}
            value={state.settings.activeStatus}
            onChange={e =>
              setSetting(
                'activeStatus',
                e.target.value as NumberSettings['activeStatus'],
              )
            }
            error={!!errorOf('activeStatus')}
            helperText={errorOf('activeStatus') ?? 'Used in Manual mode'}
          >
            <option value="professional">Professional</option>
            <option value="private">Private</option>
          </LabeledTextField>
        </Grid>
        <Grid item xs={12} sm={4}>
          <LabeledTextField
            fullWidth
            label="Time zone"
            disabled={disabled}
            value={state.settings.timeZone}
            onChange={e => setSetting('timeZone', e.target.value)}
            error={!!errorOf('timeZone')}
            helperText={errorOf('timeZone') ?? 'IANA, e.g. Europe/Brussels'}
          />
        </Grid>
        {!props.disabled && (
          <Grid item xs={12}>
            <Button
              type="submit"
              variant="contained"
              color="primary"
              disabled={props.busy}
            >
              Save settings
            </Button>
          </Grid>
        )}
      </Grid>
    </Box>
  );
}
