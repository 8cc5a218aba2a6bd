import { Badge } from '@backstage/ui';
import type { NumberStatus } from '@mvr/plugin-voice-recording-common';

export const STATUS_LABELS: Record<NumberStatus, string> = {
  recording: 'Recording now',
  private: 'Private',
  'outside-schedule': 'Outside schedule',
  inactive: 'Inactive',
};

/** Label of an FMU number's badge: MVR can never record it. */
export const FMU_LABEL = 'Cannot be recorded (FMU)';

/**
 * Badge colours: distinct hues per status, never colour alone (each badge has its
 * label). Backstage UI's status tokens, so they follow the light and dark themes:
 * recording red (negative), private blue (announcement), outside schedule amber
 * (warning), inactive grey.
 */
export const STATUS_COLOURS: Record<
  NumberStatus | 'fmu',
  { backgroundColor: string; color: string; border: string }
> = {
  recording: {
    backgroundColor: 'var(--bui-negative-bg-subdued)',
    color: 'var(--bui-negative-fg-subdued)',
    border: '1px solid var(--bui-negative-border)',
  },
  private: {
    backgroundColor: 'var(--bui-announcement-bg-subdued)',
    color: 'var(--bui-announcement-fg-subdued)',
    border: '1px solid var(--bui-announcement-border)',
  },
  'outside-schedule': {
    backgroundColor: 'var(--bui-warning-bg-subdued)',
    color: 'var(--bui-warning-fg-subdued)',
    border: '1px solid var(--bui-warning-border)',
  },
  inactive: {
    backgroundColor: 'var(--bui-bg-neutral-2)',
    color: 'var(--bui-fg-secondary)',
    border: '1px solid var(--bui-border-2)',
  },
  fmu: {
    backgroundColor: 'var(--bui-bg-neutral-1)',
    color: 'var(--bui-fg-primary)',
    border: '1px dashed var(--bui-fg-secondary)',
  },
};

/**
 * Badge of what a number does right now. With `fmu`, the number is an FMU extension
 * that MVR cannot record; `data-status` stays the backend's status.
 */
export function StatusBadge(props: { status: NumberStatus; fmu?: boolean }) {
  const label = props.fmu
    ? FMU_LABEL
    : STATUS_LABELS[props.status] ?? props.status;
  return (
    <Badge
      size="small"
      // inline so that it wins over the Badge's neutral background in every theme
      style={STATUS_COLOURS[props.fmu ? 'fmu' : props.status]}
      data-testid="status-badge"
      data-status={props.status}
      data-fmu={props.fmu ? 'true' : undefined}
    >
      {label}
    </Badge>
  );
}
