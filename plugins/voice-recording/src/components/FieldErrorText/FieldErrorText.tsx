import { Text } from '@backstage/ui';

/**
 * A form field's error under it, in the danger colour (BUI's fields only show an
 * error from react-aria's own validation). Give the field `aria-describedby={id}`.
 */
export function FieldErrorText(props: { id?: string; children?: string }) {
  if (!props.children) return null;
  return (
    <Text
      as="span"
      variant="body-small"
      color="danger"
      id={props.id}
      data-testid="field-error"
      style={{ marginTop: 'calc(-1 * var(--bui-space-2))' }}
    >
      {props.children}
    </Text>
  );
}
