import { FormEvent, useState } from 'react';
import { Button, Flex, Text } from '@backstage/ui';
import { TimeSlot, validateSlot } from '@mvr/plugin-voice-recording-common';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
import { SlotFields } from '../SlotFields/SlotFields';

const EMPTY: TimeSlot = { weekdays: [], start: '', end: '' };

/** Adds one slot to a number's schedule; the slot's own rules are checked before sending. */
export function AddSlotForm(props: {
  busy?: boolean;
  onAdd: (slot: TimeSlot) => Promise<boolean>;
}) {
  const [slot, setSlot] = useState<TimeSlot>(EMPTY);
  const [touched, setTouched] = useState(false);
  const problem = validateSlot(slot);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (problem) return;
    if (await props.onAdd(slot)) {
      setSlot(EMPTY);
      setTouched(false);
    }
  };

  return (
    <form onSubmit={submit} aria-label="Add slot">
      <Flex direction="column" gap="2">
        <Text as="h3" variant="body-medium" weight="bold">
          Add a slot
        </Text>
        <SlotFields value={slot} onChange={setSlot} disabled={props.busy} />
        {touched && problem && (
          <Text
            as="p"
            color="danger"
            variant="body-small"
            role="alert"
            style={{ color: READABLE_DANGER_TEXT }}
          >
            {problem}
          </Text>
        )}
        <div>
          <Button type="submit" variant="secondary" isDisabled={props.busy}>
            Add slot
          </Button>
        </div>
      </Flex>
    </form>
  );
}
