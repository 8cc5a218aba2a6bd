import { CSSProperties, useId } from 'react';
import { FieldLabel, Text } from '@backstage/ui';

const inputStyle: CSSProperties = {
  boxSizing: 'border-box',
  width: '100%',
  maxWidth: '16rem',
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
 * A date in the viewer's zone: the browser's date input (its own calendar; value
 * `yyyy-MM-dd`) with BUI's label and tokens. BUI's DatePicker needs
 * `@internationalized/date` values, which this plugin does not depend on.
 */
export function DateField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Earliest date (`yyyy-MM-dd`). */
  min?: string;
  description?: string;
  error?: string;
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
  return (
    <div style={{ display: 'flex', flexDirection: 'column' }}>
      <FieldLabel label={props.label} htmlFor={id} />
      <input
        id={id}
        type="date"
        value={props.value}
        min={props.min}
        onChange={e => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={describedBy || undefined}
        style={{
          ...inputStyle,
          ...(props.error ? { borderColor: 'var(--bui-negative-border)' } : {}),
        }}
      />
      {props.description && (
        <Text
          as="span"
          variant="body-small"
          color="secondary"
          id={descriptionId}
          style={{ marginTop: 'var(--bui-space-1)' }}
        >
          {props.description}
        </Text>
      )}
      {props.error && (
        <Text
          as="span"
          variant="body-small"
          color="danger"
          id={errorId}
          style={{ marginTop: 'var(--bui-space-1)' }}
        >
          {props.error}
        </Text>
      )}
    </div>
  );
}
