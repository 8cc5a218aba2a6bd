import { Box, Button, Flex, Text } from '@backstage/ui';
import type { SlotError, TimeSlot } from '@mvr/plugin-voice-recording-common';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';
import { SlotFields } from '../SlotFields/SlotFields';

/** Editable list of slots; each slot's errors are shown right under it. */
export function SlotEditor(props: {
  slots: TimeSlot[];
  errors: SlotError[];
  onChange: (slots: TimeSlot[]) => void;
  disabled?: boolean;
}) {
  const update = (index: number, slot: TimeSlot) =>
    props.onChange(props.slots.map((s, i) => (i === index ? slot : s)));
  const remove = (index: number) =>
    props.onChange(props.slots.filter((_, i) => i !== index));
  const add = () =>
    props.onChange([...props.slots, { weekdays: [], start: '', end: '' }]);

  return (
    <Flex direction="column" gap="2">
      {props.slots.map((slot, index) => {
        const errors = props.errors.filter(e => e.index === index);
        const label = `slot ${index + 1}`;
        return (
          <Box
            key={index}
            data-testid={`slot-row-${index}`}
            p="2"
            style={{
              border: `1px solid ${
                errors.length
                  ? 'var(--bui-negative-border)'
                  : 'var(--bui-border-1)'
              }`,
              borderRadius: 'var(--bui-radius-2)',
            }}
          >
            <Flex align="center" justify="between">
              <Text variant="body-small" weight="bold">
                Slot {index + 1}
              </Text>
              <Button
                size="small"
                variant="tertiary"
                aria-label={`Remove ${label}`}
                isDisabled={props.disabled}
                onPress={() => remove(index)}
              >
                Remove
              </Button>
            </Flex>
            <SlotFields
              value={slot}
              labelSuffix={label}
              disabled={props.disabled}
              onChange={s => update(index, s)}
            />
            {errors.map((e, k) => (
              <Text
                as="p"
                key={k}
                color="danger"
                variant="body-small"
                role="alert"
                data-testid={`slot-error-${index}`}
                style={{ color: READABLE_DANGER_TEXT }}
              >
                {e.otherIndex !== undefined
                  ? `${e.message} (slot ${e.otherIndex + 1})`
                  : e.message}
              </Text>
            ))}
          </Box>
        );
      })}
      <div>
        <Button variant="secondary" onPress={add} isDisabled={props.disabled}>
          Add slot row
        </Button>
      </div>
    </Flex>
  );
}
