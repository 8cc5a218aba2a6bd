import { Flex } from '@backstage/ui';
import type { TimeSlot } from '@mvr/plugin-voice-recording-common';
import { WeekdayPicker } from '../WeekdayPicker/WeekdayPicker';
import { TimePicker } from './TimePicker';

/**
 * Weekdays + start + end of one slot. `labelSuffix` keeps accessible names unique
 * when several slots are edited at once (e.g. "Start (slot 2)"). Times are `HH:MM`
 * strings; the end may be `24:00` (end of day).
 */
export function SlotFields(props: {
  value: TimeSlot;
  onChange: (slot: TimeSlot) => void;
  labelSuffix?: string;
  disabled?: boolean;
}) {
  const suffix = props.labelSuffix ? ` (${props.labelSuffix})` : '';
  return (
    <Flex align="start" gap="4" style={{ flexWrap: 'wrap' }}>
      <WeekdayPicker
        label={`Weekdays${suffix}`}
        value={props.value.weekdays}
        disabled={props.disabled}
        onChange={weekdays => props.onChange({ ...props.value, weekdays })}
      />
      <TimePicker
        kind="start"
        label={`Start${suffix}`}
        placeholder="08:00"
        disabled={props.disabled}
        value={props.value.start}
        onChange={start => props.onChange({ ...props.value, start })}
      />
      <TimePicker
        kind="end"
        label={`End${suffix}`}
        placeholder="18:00"
        disabled={props.disabled}
        value={props.value.end}
        onChange={end => props.onChange({ ...props.value, end })}
      />
    </Flex>
  );
}
