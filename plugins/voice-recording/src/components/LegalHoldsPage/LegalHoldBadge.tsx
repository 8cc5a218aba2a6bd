import { Badge } from '@backstage/ui';
import type {
  Conversation,
  LegalHoldState,
} from '@mvr/plugin-voice-recording-common';

/** BUI status tokens: a hold is a warning to whoever would change the call. */
const HELD_STYLE = {
  backgroundColor: 'var(--bui-warning-bg-subdued)',
  color: 'var(--bui-warning-fg-subdued)',
  border: '1px solid var(--bui-warning-border)',
  whiteSpace: 'nowrap' as const,
};

/**
 * "Legal hold" on a held conversation (lists, the conversation page); nothing when it
 * is not held. Admins (who get the holds) read the holds' references in the badge, and
 * the cases in its title.
 */
export function LegalHoldBadge(props: {
  conversation: Pick<Conversation, 'legalHold' | 'legalHolds'>;
}) {
  const { legalHold, legalHolds } = props.conversation;
  if (!legalHold) return null;
  const holds = legalHolds ?? [];
  const text = holds.length
    ? `Legal hold ${holds.map(h => h.reference).join(', ')}`
    : 'Legal hold';
  return (
    <Badge
      size="small"
      data-testid="legal-hold-badge"
      title={
        holds.length
          ? holds
              .map(
                h =>
                  `${h.reference} on case “${h.caseTitle}”${
                    h.state === 'release-requested'
                      ? ' (release requested)'
                      : ''
                  }`,
              )
              .join('; ')
          : 'Under legal hold: it cannot be deleted'
      }
      style={HELD_STYLE}
    >
      {text}
    </Badge>
  );
}

export const HOLD_STATE_LABELS: Record<LegalHoldState, string> = {
  active: 'Active',
  'release-requested': 'Release requested',
  released: 'Released',
};

const STATE_COLOURS: Record<
  LegalHoldState,
  { backgroundColor: string; color: string; border: string }
> = {
  active: {
    backgroundColor: 'var(--bui-warning-bg-subdued)',
    color: 'var(--bui-warning-fg-subdued)',
    border: '1px solid var(--bui-warning-border)',
  },
  'release-requested': {
    backgroundColor: 'var(--bui-bg-neutral-2)',
    color: 'var(--bui-fg-primary)',
    border: '1px dashed var(--bui-warning-border)',
  },
  released: {
    backgroundColor: 'var(--bui-bg-neutral-2)',
    color: 'var(--bui-fg-primary)',
    border: '1px solid var(--bui-border-2)',
  },
};

/** A hold's state in words, as a badge. */
export function HoldStateBadge(props: { state: LegalHoldState }) {
  return (
    <Badge
      size="small"
      data-testid="hold-state"
      data-state={props.state}
      style={{ ...STATE_COLOURS[props.state], whiteSpace: 'nowrap' }}
    >
      {HOLD_STATE_LABELS[props.state] ?? props.state}
    </Badge>
  );
}
