import { useId, useMemo, useState } from 'react';
import { Combobox, Text } from '@backstage/ui';
import {
  formatTimeOfDay,
  parseTimeOfDay,
} from '@mvr/plugin-voice-recording-common';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';

/** Minutes between two suggested times. */
const STEP_MINUTES = 30;
const END_OF_DAY = '24:00';

/**
 * What a person types, as `HH:MM` if it is a time: `8` → `08:00`, `8:5` → `08:05`,
 * `830` / `0830` / `8.30` / `8h30` → `08:30`, `24` → `24:00`. Anything else
 * (`noon`, `25:00`, `08:60`) → undefined.
 */
export function normalizeTime(typed: string): string | undefined {
  const text = typed.trim();
  let m = /^(\d{1,2})(?:[:.hH](\d{1,2}))?$/.exec(text);
  if (!m) m = /^(\d{1,2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const hours = Number(m[1]);
  const minutes = Number(m[2] ?? 0);
  if (minutes > 59) return undefined;
  const total = hours * 60 + minutes;
  if (total > 1440) return undefined;
  return formatTimeOfDay(total);
}

/** `HH:MM` suggestions: every half hour of the day; the end field ends at 24:00. */
function timeOptions(kind: 'start' | 'end') {
  const first = kind === 'start' ? 0 : STEP_MINUTES;
  const last = kind === 'start' ? 1440 - STEP_MINUTES : 1440;
  const options: { id: string; label: string; description?: string }[] = [];
  for (let t = first; t <= last; t += STEP_MINUTES) {
    const time = formatTimeOfDay(t);
    options.push(
      time === END_OF_DAY
        ? { id: time, label: time, description: 'end of day' }
        : { id: time, label: time },
    );
  }
  return options;
}

/** The message under the field for a time it cannot take, or nothing. */
export function timeProblem(
  value: string,
  kind: 'start' | 'end',
): string | undefined {
  if (!value.trim()) return undefined;
  const minutes = parseTimeOfDay(value);
  if (kind === 'start' && (minutes === undefined || minutes >= 1440)) {
    return 'Use HH:MM, from 00:00 to 23:59';
  }
  if (kind === 'end' && (minutes === undefined || minutes === 0)) {
    return 'Use HH:MM, from 00:01 to 24:00 (end of day)';
  }
  return undefined;
}

/**
 * A time of day as `HH:MM`: a combobox whose list (its button, or arrow down) offers
 * every half hour (the end field also 24:00, "end of day", which a native time input
 * cannot hold) and that takes any typed time, tidied on leaving the field
 * (`8:30` → `08:30`). A time it cannot take is said under the field once the field is
 * left.
 */
export function TimePicker(props: {
  label: string;
  /** `start` offers 00:00–23:30; `end` 00:30–24:00. */
  kind: 'start' | 'end';
  value: string;
  onChange: (value: string) => void;
  disabled?: boolean;
  placeholder?: string;
}) {
  const { value, onChange, kind } = props;
  const options = useMemo(() => timeOptions(kind), [kind]);
  const [left, setLeft] = useState(false);
  const problem = left ? timeProblem(value, kind) : undefined;
  const messageId = `vr-time-${useId().replace(/:/g, '')}`;
  return (
    <div style={{ width: 150 }}>
      <Combobox
        label={props.label}
        placeholder={props.placeholder ?? 'HH:MM'}
        options={options}
        allowsCustomValue
        // The list opens from its button or the arrow keys, not while typing: a
        // typed time needs no list over the next fields.
        menuTrigger="manual"
        isDisabled={props.disabled}
        search={{
          inputValue: value,
          onInputChange: text => {
            setLeft(false);
            onChange(text);
          },
          // A complete time lists every time (to pick another); a partial one
          // (`08`, `8:3`) lists the times it starts.
          filter: (option, query) => {
            const q = query.trim();
            if (!q || parseTimeOfDay(q) !== undefined) return true;
            return (
              option.label.startsWith(q) || option.label.startsWith(`0${q}`)
            );
          },
        }}
        onBlur={() => {
          const tidy = normalizeTime(value);
          if (tidy && tidy !== value) onChange(tidy);
          setLeft(true);
        }}
        isInvalid={!!problem}
        aria-describedby={problem ? messageId : undefined}
      />
      {problem && (
        <Text
          as="p"
          id={messageId}
          color="danger"
          variant="body-small"
          data-testid="time-problem"
          style={{ color: READABLE_DANGER_TEXT }}
        >
          {problem}
        </Text>
      )}
    </div>
  );
}
