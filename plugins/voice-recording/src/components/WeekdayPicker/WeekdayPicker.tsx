import { Checkbox, CheckboxGroup } from '@backstage/ui';
import { WEEKDAY_NAMES, Weekday } from '@mvr/plugin-voice-recording-common';

const ALL_DAYS: Weekday[] = [1, 2, 3, 4, 5, 6, 7];

/**
 * Checkboxes Mon..Sun in a group named by `label`; each labelled by its short name
 * for accessible queries. The value is sorted Mon..Sun.
 */
export function WeekdayPicker(props: {
  value: Weekday[];
  onChange: (value: Weekday[]) => void;
  label?: string;
  disabled?: boolean;
}) {
  const { onChange } = props;
  return (
    <CheckboxGroup
      label={props.label ?? 'Weekdays'}
      orientation="horizontal"
      isDisabled={props.disabled}
      value={props.value.map(String)}
      onChange={days =>
        onChange(
          [...new Set(days.map(d => Number(d) as Weekday))].sort(
            (a, b) => a - b,
          ),
        )
      }
    >
      {ALL_DAYS.map(day => (
        <Checkbox key={day} value={String(day)}>
          {WEEKDAY_NAMES[day]}
        </Checkbox>
      ))}
    </CheckboxGroup>
  );
}
