import { CSSProperties, useId } from 'react';
import { FieldLabel, Text } from '@backstage/ui';
import { READABLE_DANGER_TEXT } from '../FieldErrorText/FieldErrorText';

const inputStyle: CSSProperties = {
  boxSizing: 'border-box',
  width: '100%',
  height: '2rem',
  padding: '0 var(--bui-space-3)',
  border: '1px solid var(--bui-border-2)',
  borderRadius: 'var(--bui-radius-2)',
  background: 'var(--bui-bg-neutral-1)',
  color: 'var(--bui-fg-primary)',
  fontFamily: 'var(--bui-font-regular)',
  fontSize: 'var(--bui-font-size-3)',
  colorScheme: 'light dark',
};

/**
 * A date, or a date and time, in the viewer's time zone: the browser's own `date` or
 * `datetime-local` input (its calendar and time picker; value `yyyy-MM-dd` or
 * `yyyy-MM-ddTHH:mm`, the forms' and the URL's format) with Backstage UI's label and
 * design tokens. BUI's DatePicker needs `@internationalized/date` values (and has no
 * time of day without them), which would change the format the URL and tests rely on.
 */
export function DateField(props: {
  /** `date` (a day) or `datetime-local` (a day and a time). */
  type: 'date' | 'datetime-local';
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Earliest value, in the input's format. */
  min?: string;
  /** Latest value, in the input's format. */
  max?: string;
  /** Widest the input gets (full width when absent). */
  maxWidth?: string;
  /** Shown under the field. */
  description?: string;
  /** Shown under the field, which is then marked invalid. */
  error?: string;
  errorTestId?: string;
}) {
  const id = useId();
  const descriptionId = `${id}-description`;
  const errorId = `${id}-error`;
  const describedBy = [
    props.description ? descriptionId : '',
    props.error ? errorId : '',
  ]
    .filter(Boolean)
    .join(' ');
  const under = (
    text: string,
    color: 'secondary' | 'danger',
    textId: string,
  ) => (
    <Text
      as="span"
      variant="body-small"
      color={color}
      id={textId}
      data-testid={color === 'danger' ? props.errorTestId : undefined}
      style={{
        marginTop: 'var(--bui-space-1)',
        ...(color === 'danger' ? { color: READABLE_DANGER_TEXT } : {}),
      }}
    >
      {text}
    </Text>
  );
  return (
    <div style={{ display: 'flex', flexDirection: 'column' }}>
      <FieldLabel label={props.label} htmlFor={id} />
      <input
        id={id}
        type={props.type}
        value={props.value}
        min={props.min}
        max={props.max}
        onChange={e => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy || undefined}
        style={{
          ...inputStyle,
          maxWidth: props.maxWidth,
          ...(props.error ? { borderColor: 'var(--bui-negative-border)' } : {}),
        }}
      />
      {props.description &&
        under(props.description, 'secondary', descriptionId)}
      {props.error && under(props.error, 'danger', errorId)}
    </div>
  );
}
