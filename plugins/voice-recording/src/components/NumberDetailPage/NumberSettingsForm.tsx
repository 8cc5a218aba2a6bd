import { FormEvent, useEffect, useState } from 'react';
import {
  Button,
  Checkbox,
  Flex,
  Grid,
  Select,
  Text,
  TextField,
} from '@backstage/ui';
import {
  NumberSettings,
  RecordedNumberWithStatus,
  validateNumberSettings,
} from '@mvr/plugin-voice-recording-common';
import { UpdateNumberRequest } from '../../api/VoiceRecordingApi';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
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
  /** A field changed (the last save's message is stale). */
  onEdit?: () => void;
}) {
  const [state, setStateRaw] = useState<FormState>(() =>
    fromNumber(props.number),
  );
  const { onEdit } = props;
  const setState: typeof setStateRaw = update => {
    setStateRaw(update);
    onEdit?.();
  };
  useEffect(() => setStateRaw(fromNumber(props.number)), [props.number]);

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
    <Checkbox isSelected={checked} isDisabled={disabled} onChange={onChange}>
      {label}
    </Checkbox>
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

  /** The field's rule error in place of its hint (the field is marked invalid too). */
  const hint = (field: string, text: string) => errorOf(field) ?? text;

  return (
    <form onSubmit={submit} aria-label="Number settings">
      <Flex direction="column" gap="4">
        {props.canChangeOwner && !props.disabled && (
          <div style={{ maxWidth: 420 }}>
            <PeoplePicker
              label="Owner"
              required
              disabled={props.busy}
              value={state.userRef}
              onChange={ref => setState(s => ({ ...s, userRef: ref }))}
              helperText="The person whose calls on this number are recorded"
            />
          </div>
        )}
        <Grid.Root columns={{ initial: '1', sm: '2' }} gap="3">
          <Flex direction="column" gap="2">
            {check('MVR active', state.mvrActive, v =>
              setState(s => ({ ...s, mvrActive: v })),
            )}
            {check('FMU', state.fmu, v => setState(s => ({ ...s, fmu: v })))}
            {errorOf('mvrActive') && (
              <Text
                color="danger"
                variant="body-small"
                role="alert"
                style={{ color: READABLE_DANGER_TEXT }}
              >
                {errorOf('mvrActive')}
              </Text>
            )}
          </Flex>
          <Flex direction="column" gap="2">
            {check('Beep', state.settings.beep, v => setSetting('beep', v))}
            {check(
              'SMS on status change',
              state.settings.smsOnStatusChange,
              v => setSetting('smsOnStatusChange', v),
            )}
            {check('Self-management', state.settings.selfManaged, v =>
              setSetting('selfManaged', v),
            )}
            {check('Simultaneous calls', state.settings.simultaneousCalls, v =>
              setSetting('simultaneousCalls', v),
            )}
          </Flex>
        </Grid.Root>
        <Grid.Root columns={{ initial: '1', sm: '3' }} gap="3">
          <Select
            label="Status mode"
            isDisabled={disabled}
            value={state.settings.statusMode}
            onChange={key =>
              setSetting('statusMode', key as NumberSettings['statusMode'])
            }
            isInvalid={!!errorOf('statusMode')}
            validationBehavior="aria"
            description={hint('statusMode', 'Auto follows the schedule')}
            options={[
              { value: 'auto', label: 'Auto' },
              { value: 'manual', label: 'Manual' },
            ]}
          />
          <Select
            label="Active status"
            isDisabled={disabled}
            value={state.settings.activeStatus}
            onChange={key =>
              setSetting('activeStatus', key as NumberSettings['activeStatus'])
            }
            isInvalid={!!errorOf('activeStatus')}
            validationBehavior="aria"
            description={hint('activeStatus', 'Used in Manual mode')}
            options={[
              { value: 'professional', label: 'Professional' },
              { value: 'private', label: 'Private' },
            ]}
          />
          <TextField
            label="Time zone"
            isDisabled={disabled}
            value={state.settings.timeZone}
            onChange={v => setSetting('timeZone', v)}
            isInvalid={!!errorOf('timeZone')}
            validationBehavior="aria"
            description={hint('timeZone', 'IANA, e.g. Europe/Brussels')}
          />
        </Grid.Root>
        {!props.disabled && (
          <div>
            <Button type="submit" variant="primary" isDisabled={props.busy}>
              Save settings
            </Button>
          </div>
        )}
      </Flex>
    </form>
  );
}
