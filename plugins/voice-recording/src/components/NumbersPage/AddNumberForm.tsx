import { FormEvent, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Button,
  Card,
  CardBody,
  Checkbox,
  Flex,
  Select,
  TextField,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { normalizePhoneNumber } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PeoplePicker } from '../PeoplePicker/PeoplePicker';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

/** The Select's key for "no planning model: the configured default slot". */
const DEFAULT_SLOT = 'default-slot';

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
      <Flex direction="column" gap="2">
        <div>
          <Button
            variant="secondary"
            onPress={() => {
              changed();
              setOpen(true);
            }}
          >
            Add number
          </Button>
        </div>
        {created && <SuccessAlert>{`Number ${created} added`}</SuccessAlert>}
      </Flex>
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
    <Card>
      <CardBody>
        <form onSubmit={submit} onChange={changed} aria-label="Add number">
          <Flex direction="column" gap="3">
            <Flex align="start" gap="4" style={{ flexWrap: 'wrap' }}>
              <TextField
                label="Phone number"
                isRequired
                value={number}
                onChange={setNumber}
                description={numberError ?? 'E.164 (+32470123456) or national'}
              />
              <div style={{ minWidth: 260, flex: '1 1 260px', maxWidth: 400 }}>
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
              </div>
              <Select
                label="Planning model"
                style={{ minWidth: 200, maxWidth: 300 }}
                value={planningModelId || DEFAULT_SLOT}
                onChange={key => {
                  setPlanningModelId(key === DEFAULT_SLOT ? '' : String(key));
                  changed();
                }}
                options={[
                  { value: DEFAULT_SLOT, label: 'Default slot' },
                  ...(models.value?.items ?? []).map(m => ({
                    value: m.id,
                    label: m.name,
                  })),
                ]}
              />
            </Flex>
            <Checkbox isSelected={mvrActive} onChange={setMvrActive}>
              MVR active
            </Checkbox>
            <ErrorAlert error={error ?? models.error} />
            <Flex gap="2">
              <Button type="submit" variant="primary" isDisabled={busy}>
                Create number
              </Button>
              <Button
                variant="secondary"
                onPress={() => {
                  changed();
                  setOpen(false);
                }}
              >
                Cancel
              </Button>
            </Flex>
          </Flex>
        </form>
      </CardBody>
    </Card>
  );
}
