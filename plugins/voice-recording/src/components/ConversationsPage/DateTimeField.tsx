import { CSSProperties, useId } from 'react';
import { FieldLabel, Text } from '@backstage/ui';

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
 * A date and time field in the viewer's time zone: the browser's `datetime-local`
 * input (its own date and time picker; value `yyyy-MM-ddTHH:mm`, the form's and the
 * URL's format), with Backstage UI's label and design tokens. BUI's DatePicker has
 * no time of day without `@internationalized/date` values, which would change the
 * format that the URL and the tests rely on.
 */
export function DateTimeField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Shown under the field, which is then marked invalid. */
  error?: string;
  errorTestId?: string;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div style={{ display: 'flex', flexDirection: 'column' }}>
      <FieldLabel label={props.label} htmlFor={id} />
      <input
        id={id}
        type="datetime-local"
        value={props.value}
        onChange={e => props.onChange(e.target.value)}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? errorId : undefined}
        style={{
          ...inputStyle,
          ...(props.error ? { borderColor: 'var(--bui-negative-border)' } : {}),
        }}
      />
      {props.error && (
        <Text
          as="span"
          variant="body-small"
          color="danger"
          id={errorId}
          data-testid={props.errorTestId}
          style={{ marginTop: 'var(--bui-space-1)' }}
        >
          {props.error}
        </Text>
      )}
    </div>
  );
}
