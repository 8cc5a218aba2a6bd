import { Text } from '@backstage/ui';

/**
 * Danger text on the page's background: Backstage UI's danger text (`--bui-fg-danger`,
 * #ec3b18) is 4.0:1 on white, below WCAG's 4.5:1 for small text; its subdued negative
 * colour (#991919 light, #fca5a5 dark) passes in both themes.
 */
export const READABLE_DANGER_TEXT = 'var(--bui-negative-fg-subdued)';

/**
 * A form field's error under it, in a readable danger colour (BUI's fields only show
 * an error from react-aria's own validation). Give the field `aria-describedby={id}`.
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
      style={{
        marginTop: 'calc(-1 * var(--bui-space-2))',
        color: READABLE_DANGER_TEXT,
      }}
    >
      {props.children}
    </Text>
  );
}
