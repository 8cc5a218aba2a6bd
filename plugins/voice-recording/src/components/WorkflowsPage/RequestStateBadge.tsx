import { Badge } from '@backstage/ui';
import type { AccessRequestState } from '@mvr/plugin-voice-recording-common';
import { STATE_LABELS } from './requestText';

/** BUI status tokens per state (each badge also says its state in words). */
const STATE_COLOURS: Record<
  AccessRequestState,
  { backgroundColor: string; color: string; border: string }
> = {
  pending: {
    backgroundColor: 'var(--bui-warning-bg-subdued)',
    color: 'var(--bui-warning-fg-subdued)',
    border: '1px solid var(--bui-warning-border)',
  },
  approved: {
    backgroundColor: 'var(--bui-positive-bg-subdued)',
    color: 'var(--bui-positive-fg-subdued)',
    border: '1px solid var(--bui-positive-border)',
  },
  rejected: {
    backgroundColor: 'var(--bui-negative-bg-subdued)',
    color: 'var(--bui-negative-fg-subdued)',
    border: '1px solid var(--bui-negative-border)',
  },
  expired: {
    backgroundColor: 'var(--bui-bg-neutral-2)',
    color: 'var(--bui-fg-secondary)',
    border: '1px solid var(--bui-border-2)',
  },
  revoked: {
    backgroundColor: 'var(--bui-bg-neutral-2)',
    color: 'var(--bui-fg-secondary)',
    border: '1px dashed var(--bui-fg-secondary)',
  },
};

/** The state of an access request as a badge ("Pending", "Approved", ...). */
export function RequestStateBadge(props: { state: AccessRequestState }) {
  return (
    <Badge
      size="small"
      data-testid="request-state"
      data-state={props.state}
      style={{ ...STATE_COLOURS[props.state], whiteSpace: 'nowrap' }}
    >
      {STATE_LABELS[props.state] ?? props.state}
    </Badge>
  );
}
