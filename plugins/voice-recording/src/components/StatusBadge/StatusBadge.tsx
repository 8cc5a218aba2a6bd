import { Chip } from '@material-ui/core';
import type { NumberStatus } from '@mvr/plugin-voice-recording-common';

export const STATUS_LABELS: Record<NumberStatus, string> = {
  recording: 'Recording now',
  private: 'Private',
  'outside-schedule': 'Outside schedule',
  inactive: 'Inactive',
};

/** Label of an FMU number's badge: MVR can never record it. */
export const FMU_LABEL = 'Cannot be recorded (FMU)';

/** Badge colours: distinct hues per status, never colour alone (each badge has its label). */
export const STATUS_COLOURS: Record<
  NumberStatus | 'fmu',
  { backgroundColor: string; color: string; border?: string }
> = {
  recording: { backgroundColor: '#c62828', color: '#fff' },
  private: { backgroundColor: '#1565c0', color: '#fff' },
  'outside-schedule': { backgroundColor: '#f9a825', color: '#000' },
  inactive: { backgroundColor: '#9e9e9e', color: '#000' },
  fmu: {
    backgroundColor: '#eeeeee',
    color: '#000',
    border: '1px dashed #424242',
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
    <Chip
      size="small"
      label={label}
      // inline so that it wins over the Chip's default background in every theme
      style={STATUS_COLOURS[props.fmu ? 'fmu' : props.status]}
      data-testid="status-badge"
      data-status={props.status}
      data-fmu={props.fmu ? 'true' : undefined}
    />
  );
}
