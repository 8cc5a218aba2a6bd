import { useId } from 'react';
import { FieldLabel } from '@backstage/ui';

/** A colour (`#rrggbb`): the browser's colour input with BUI's label. */
export function ColourField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div style={{ display: 'flex', flexDirection: 'column' }}>
      <FieldLabel label={props.label} htmlFor={id} />
      <input
        id={id}
        type="color"
        value={props.value}
        onChange={e => props.onChange(e.target.value)}
        style={{
          width: '4rem',
          height: '2rem',
          padding: 0,
          border: '1px solid var(--bui-border-2)',
          borderRadius: 'var(--bui-radius-2)',
          background: 'var(--bui-bg-neutral-1)',
          cursor: 'pointer',
        }}
      />
    </div>
  );
}
