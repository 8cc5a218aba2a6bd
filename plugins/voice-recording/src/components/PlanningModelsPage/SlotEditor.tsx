import { Box, Button, IconButton, Typography } from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import type { SlotError, TimeSlot } from '@mvr/plugin-voice-recording-common';
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
    <Box display="flex" flexDirection="column" gridGap={8}>
      {props.slots.map((slot, index) => {
        const errors = props.errors.filter(e => e.index === index);
        const label = `slot ${index + 1}`;
        return (
          <Box
            key={index}
            data-testid={`slot-row-${index}`}
            border={1}
            borderColor={errors.length ? 'error.main' : 'divider'}
            borderRadius={4}
            p={1}
          >
            <Box
              display="flex"
              alignItems="center"
              justifyContent="space-between"
            >
              <Typography variant="subtitle2">Slot {index + 1}</Typography>
              <IconButton
                size="small"
                aria-label={`Remove ${label}`}
                disabled={props.disabled}
                onClick={() => remove(index)}
              >
                <DeleteIcon fontSize="small" />
              </IconButton>
            </Box>
            <SlotFields
              value={slot}
              labelSuffix={label}
              disabled={props.disabled}
              onChange={s => update(index, s)}
            />
            {errors.map((e, k) => (
              <Typography
                key={k}
                color="error"
                variant="body2"
                role="alert"
                data-testid={`slot-error-${index}`}
              >
                {e.otherIndex !== undefined
                  ? `${e.message} (slot ${e.otherIndex + 1})`
                  : e.message}
              </Typography>
            ))}
          </Box>
        );
      })}
      <Box>
        <Button variant="outlined" onClick={add} disabled={props.disabled}>
          Add slot row
        </Button>
      </Box>
    </Box>
  );
}
