import { FormEvent, useState } from 'react';
import { Box, Button, Typography } from '@material-ui/core';
import { TimeSlot, validateSlot } from '@mvr/plugin-voice-recording-common';
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
    <Box component="form" onSubmit={submit} aria-label="Add slot">
      <Typography variant="subtitle2">Add a slot</Typography>
      <SlotFields value={slot} onChange={setSlot} disabled={props.busy} />
      {touched && problem && (
        <Typography color="error" variant="body2" role="alert">
          {problem}
        </Typography>
      )}
      <Box mt={1}>
        <Button
          type="submit"
          variant="outlined"
          color="primary"
          disabled={props.busy}
        >
          Add slot
        </Button>
      </Box>
    </Box>
  );
}
