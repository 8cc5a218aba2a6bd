import {
  Checkbox,
  FormControlLabel,
  FormGroup,
  FormLabel,
} from '@material-ui/core';
import { WEEKDAY_NAMES, Weekday } from '@mvr/plugin-voice-recording-common';

const ALL_DAYS: Weekday[] = [1, 2, 3, 4, 5, 6, 7];

/** Checkboxes Mon..Sun; each labelled by its short name for accessible queries. */
export function WeekdayPicker(props: {
  value: Weekday[];
  onChange: (value: Weekday[]) => void;
  label?: string;
  disabled?: boolean;
}) {
  const toggle = (day: Weekday, checked: boolean) => {
    const next = checked
      ? [...new Set([...props.value, day])]
      : props.value.filter(d => d !== day);
    props.onChange(next.sort((a, b) => a - b));
  };
  return (
    <div role="group" aria-label={props.label ?? 'Weekdays'}>
      <FormLabel component="legend">{props.label ?? 'Weekdays'}</FormLabel>
      <FormGroup row>
        {ALL_DAYS.map(day => (
          <FormControlLabel
            key={day}
            label={WEEKDAY_NAMES[day]}
            control={
              <Checkbox
                size="small"
                checked={props.value.includes(day)}
                disabled={props.disabled}
                onChange={e => toggle(day, e.target.checked)}
              />
            }
          />
        ))}
      </FormGroup>
    </div>
  );
}
