import { Badge } from '@backstage/ui';
import type {
  RecordingAlarmState,
  RecordingAttention,
} from '@mvr/plugin-voice-recording-common';
import { ALARM_STATE_LABELS, ATTENTION_LABELS } from './healthText';

/** Backstage UI's status tokens (light and dark themes); never colour alone. */
const COLOURS = {
  positive: {
    backgroundColor: 'var(--bui-positive-bg-subdued)',
    color: 'var(--bui-positive-fg-subdued)',
    border: '1px solid var(--bui-positive-border)',
  },
  warning: {
    backgroundColor: 'var(--bui-warning-bg-subdued)',
    color: 'var(--bui-warning-fg-subdued)',
    border: '1px solid var(--bui-warning-border)',
  },
  negative: {
    backgroundColor: 'var(--bui-negative-bg-subdued)',
    color: 'var(--bui-negative-fg-subdued)',
    border: '1px solid var(--bui-negative-border)',
  },
  neutral: {
    backgroundColor: 'var(--bui-bg-neutral-2)',
    color: 'var(--bui-fg-secondary)',
    border: '1px solid var(--bui-border-2)',
  },
} as const;

const ATTENTION_COLOURS: Record<RecordingAttention, keyof typeof COLOURS> = {
  ok: 'positive',
  warning: 'warning',
  failed: 'negative',
};

/** How much a number (or a group) needs attention. */
export function AttentionBadge(props: { attention: RecordingAttention }) {
  return (
    <Badge
      size="small"
      style={COLOURS[ATTENTION_COLOURS[props.attention] ?? 'warning']}
      data-testid="attention-badge"
      data-attention={props.attention}
    >
      {ATTENTION_LABELS[props.attention] ?? props.attention}
    </Badge>
  );
}

/** An alarm's state: open (its severity's colour), acknowledged, resolved. */
export function AlarmStateBadge(props: {
  state: RecordingAlarmState;
  severity: 'warning' | 'failed';
}) {
  let colour: keyof typeof COLOURS = 'neutral';
  if (props.state === 'open')
    colour = props.severity === 'failed' ? 'negative' : 'warning';
  else if (props.state === 'resolved') colour = 'positive';
  return (
    <Badge
      size="small"
      style={COLOURS[colour]}
      data-testid="alarm-state"
      data-state={props.state}
    >
      {ALARM_STATE_LABELS[props.state] ?? props.state}
    </Badge>
  );
}
