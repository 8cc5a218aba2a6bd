import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import { Box } from '@material-ui/core';
import type { TimeSlot } from '@mvr/plugin-voice-recording-common';
import { WeekdayPicker } from '../WeekdayPicker/WeekdayPicker';

/**
 * Weekdays + start + end of one slot. `labelSuffix` keeps accessible names unique
 * when several slots are edited at once (e.g. "Start (slot 2)").
 */
export function SlotFields(props: {
  value: TimeSlot;
  onChange: (slot: TimeSlot) => void;
  labelSuffix?: string;
  disabled?: boolean;
}) {
  const suffix = props.labelSuffix ? ` (${props.labelSuffix})` : '';
  return (
    <Box display="flex" flexWrap="wrap" alignItems="flex-end" gridGap={16}>
      <WeekdayPicker
        label={`Weekdays${suffix}`}
        value={props.value.weekdays}
        disabled={props.disabled}
        onChange={weekdays => props.onChange({ ...props.value, weekdays })}
      />
      <LabeledTextField
        label={`Start${suffix}`}
        placeholder="08:00"
        disabled={props.disabled}
        value={props.value.start}
        onChange={e =>
          props.onChange({ ...props.value, start: e.target.value })
        }
        style={{ width: 110 }}
      />
      <LabeledTextField
        label={`End${suffix}`}
        placeholder="18:00"
        disabled={props.disabled}
        value={props.value.end}
        onChange={e => props.onChange({ ...props.value, end: e.target.value })}
        style={{ width: 110 }}
      />
    </Box>
  );
}
