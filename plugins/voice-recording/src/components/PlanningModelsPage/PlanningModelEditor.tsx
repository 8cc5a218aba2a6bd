import { FormEvent, useMemo, useState } from 'react';
import {
  Button,
  Card,
  CardBody,
  Flex,
  Grid,
  Text,
  TextField,
} from '@backstage/ui';
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
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import { SlotEditor } from './SlotEditor';
import { COPY_ON_APPLY_RULE, usageText } from './usage';

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
    <Card>
      <CardBody>
        <form onSubmit={submit} aria-label="Planning model">
          <Flex direction="column" gap="4">
            <Text as="h2" variant="title-small">
              {props.model
                ? `Edit planning model ${props.model.name}`
                : 'New planning model'}
            </Text>
            {props.model && (
              <div data-testid="planning-model-usage">
                <Text as="p" weight="bold">
                  {usageText(props.model)}.
                </Text>
                <Text as="p" variant="body-small" color="secondary">
                  {COPY_ON_APPLY_RULE}
                </Text>
              </div>
            )}
            <Grid.Root columns={{ initial: '1', md: '2' }} gap="4">
              <Flex direction="column" gap="3" style={{ minWidth: 0 }}>
                <TextField
                  label="Name"
                  isRequired
                  value={name}
                  onChange={v => {
                    setName(v);
                    setError(undefined);
                  }}
                />
                <TextField
                  label="Description"
                  value={description}
                  onChange={v => {
                    setDescription(v);
                    setError(undefined);
                  }}
                />
                <SlotEditor
                  slots={slots}
                  errors={slotErrors}
                  onChange={changeSlots}
                  disabled={busy}
                />
              </Flex>
              <div style={{ minWidth: 0 }}>
                <Text as="h3" variant="body-medium" weight="bold">
                  Preview
                </Text>
                <WeekGrid
                  slots={slots}
                  errorIndexes={slotErrors.map(e => e.index)}
                />
              </div>
            </Grid.Root>
            <ErrorAlert error={error} />
            {submitted && localErrors.length > 0 && (
              <Text
                as="p"
                color="danger"
                role="alert"
                style={{ color: READABLE_DANGER_TEXT }}
              >
                Fix the slot errors above before saving.
              </Text>
            )}
            <Flex gap="2">
              <Button type="submit" variant="primary" isDisabled={busy}>
                Save planning model
              </Button>
              <Button variant="secondary" onPress={props.onCancel}>
                Cancel
              </Button>
            </Flex>
          </Flex>
        </form>
      </CardBody>
    </Card>
  );
}
