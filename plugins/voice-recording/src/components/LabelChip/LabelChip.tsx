import { Badge } from '@backstage/ui';
import { readableTextColour, parseHexColour } from './labelColour';

/** What a chip needs of a label (a `Label`, a `ConversationLabel` or a case's label). */
export interface LabelChipLabel {
  title: string;
  /** `#rrggbb` */
  colour: string;
}

/**
 * A label as a coloured chip: the label's colour as background, its title in
 * black or white, whichever is more readable on it (WCAG contrast), so the chip
 * reads in light and dark themes. The title is always written: colour is never the
 * only sign. An invalid colour falls back to the theme's neutral chip.
 */
export function LabelChip(props: {
  label: LabelChipLabel;
  size?: 'small' | 'medium';
  /** Extra text for assistive technology and the tooltip, e.g. the case's title. */
  description?: string;
}) {
  const { title, colour } = props.label;
  const valid = Boolean(parseHexColour(colour));
  return (
    <Badge
      size={props.size ?? 'small'}
      data-testid="label-chip"
      data-colour={valid ? colour.toLowerCase() : undefined}
      title={props.description ? `${title} (${props.description})` : title}
      style={
        valid
          ? {
              backgroundColor: colour,
              color: readableTextColour(colour),
              border: '1px solid var(--bui-border-2)',
              whiteSpace: 'nowrap',
            }
          : {
              backgroundColor: 'var(--bui-bg-neutral-2)',
              color: 'var(--bui-fg-primary)',
              border: '1px solid var(--bui-border-2)',
              whiteSpace: 'nowrap',
            }
      }
    >
      {title}
    </Badge>
  );
}
