import { Chip, makeStyles } from '@material-ui/core';
import type { NumberStatus } from '@mvr/plugin-voice-recording-common';

export const STATUS_LABELS: Record<NumberStatus, string> = {
  recording: 'Recording now',
  private: 'Private',
  'outside-schedule': 'Outside schedule',
  inactive: 'Inactive',
};

const useStyles = makeStyles({
  recording: { backgroundColor: '#c62828', color: '#fff' },
  private: { backgroundColor: '#6a1b9a', color: '#fff' },
  'outside-schedule': { backgroundColor: '#f9a825', color: '#000' },
  inactive: { backgroundColor: '#9e9e9e', color: '#000' },
});

/** Badge of what a number does right now. */
export function StatusBadge(props: { status: NumberStatus }) {
  const classes = useStyles();
  const label = STATUS_LABELS[props.status] ?? props.status;
  return (
    <Chip
      size="small"
      label={label}
      className={classes[props.status]}
      data-testid="status-badge"
      data-status={props.status}
    />
  );
}
