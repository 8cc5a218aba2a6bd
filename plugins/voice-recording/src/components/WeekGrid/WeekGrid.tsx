import { makeStyles } from '@material-ui/core';
import {
  TimeSlot,
  WEEKDAY_NAMES,
  Weekday,
  describeSlot,
  parseTimeOfDay,
} from '@mvr/plugin-voice-recording-common';

const DAYS: Weekday[] = [1, 2, 3, 4, 5, 6, 7];
const HOURS = Array.from({ length: 24 }, (_, h) => h);
const MINUTES_PER_DAY = 1440;
const PALETTE = [
  '#1e88e5',
  '#43a047',
  '#8e24aa',
  '#fb8c00',
  '#00897b',
  '#6d4c41',
  '#3949ab',
];

const useStyles = makeStyles(theme => ({
  grid: {
    display: 'grid',
    gridTemplateColumns: '3.5em repeat(7, 1fr)',
    border: `1px solid ${theme.palette.divider}`,
    fontSize: '0.75rem',
  },
  head: {
    textAlign: 'center',
    fontWeight: 'bold',
    padding: theme.spacing(0.5),
    borderBottom: `1px solid ${theme.palette.divider}`,
  },
  hours: { position: 'relative' },
  hourLabel: {
    boxSizing: 'border-box',
    paddingRight: theme.spacing(0.5),
    textAlign: 'right',
    color: theme.palette.text.secondary,
  },
  day: {
    position: 'relative',
    borderLeft: `1px solid ${theme.palette.divider}`,
  },
  hourLine: {
    boxSizing: 'border-box',
    borderTop: `1px dotted ${theme.palette.divider}`,
  },
  block: {
    position: 'absolute',
    left: 2,
    right: 2,
    borderRadius: 3,
    color: '#fff',
    overflow: 'hidden',
    padding: '0 2px',
    opacity: 0.85,
    boxSizing: 'border-box',
  },
  caption: {
    fontSize: '0.75rem',
    color: theme.palette.text.secondary,
    marginBottom: theme.spacing(0.5),
  },
  error: {
    outline: `2px solid ${theme.palette.error.main}`,
    backgroundImage:
      'repeating-linear-gradient(45deg, transparent, transparent 4px, rgba(255,255,255,.35) 4px, rgba(255,255,255,.35) 8px)',
  },
}));

export interface WeekGridProps {
  slots: TimeSlot[];
  /** Indexes (in `slots`) of slots that have a validation error: drawn hatched and outlined. */
  errorIndexes?: number[];
  /** Height of one hour row, in pixels. */
  hourHeight?: number;
  /** IANA zone the times are in (the number's), shown as a caption above the grid. */
  timeZone?: string;
}

/**
 * The weekly schedule: 7 columns (Mon..Sun), one row per hour, each slot a coloured
 * block per weekday it covers.
 */
export function WeekGrid(props: WeekGridProps) {
  const classes = useStyles();
  const hourHeight = props.hourHeight ?? 18;
  const errors = new Set(props.errorIndexes ?? []);
  const height = hourHeight * 24;

  const grid = (
    <div
      className={classes.grid}
      data-testid="week-grid"
      role="table"
      aria-label="Weekly schedule"
    >
      <div className={classes.head} role="columnheader" aria-label="Hour" />
      {DAYS.map(day => (
        <div key={day} className={classes.head} role="columnheader">
          {WEEKDAY_NAMES[day]}
        </div>
      ))}
      <div className={classes.hours} style={{ height }}>
        {HOURS.map(h => (
          <div
            key={h}
            className={classes.hourLabel}
            style={{ height: hourHeight }}
          >
            {`${String(h).padStart(2, '0')}:00`}
          </div>
        ))}
      </div>
      {DAYS.map(day => (
        <div
          key={day}
          className={classes.day}
          style={{ height }}
          data-testid={`week-grid-day-${day}`}
          aria-label={WEEKDAY_NAMES[day]}
        >
          {HOURS.map(h => (
            <div
              key={h}
              className={classes.hourLine}
              style={{ height: hourHeight }}
            />
          ))}
          {props.slots.map((slot, index) => {
            if (!slot.weekdays?.includes(day)) return null;
            const start = parseTimeOfDay(slot.start);
            const end = parseTimeOfDay(slot.end);
            if (start === undefined || end === undefined || end <= start)
              return null;
            const label = `${WEEKDAY_NAMES[day]} ${slot.start}-${slot.end}`;
            const hasError = errors.has(index);
            return (
              <div
                key={`${index}-${day}`}
                title={describeSlot(slot)}
                className={`${classes.block} ${hasError ? classes.error : ''}`}
                data-testid="week-grid-slot"
                data-slot-index={index}
                data-error={hasError ? 'true' : undefined}
                aria-label={label}
                style={{
                  top: `${(start / MINUTES_PER_DAY) * 100}%`,
                  height: `${((end - start) / MINUTES_PER_DAY) * 100}%`,
                  backgroundColor: hasError
                    ? '#d32f2f'
                    : PALETTE[index % PALETTE.length],
                }}
              >
                {end - start >= 60 ? `${slot.start}-${slot.end}` : ''}
              </div>
            );
          })}
        </div>
      ))}
    </div>
  );
  if (!props.timeZone) return grid;
  return (
    <div>
      <div className={classes.caption} data-testid="week-grid-zone">
        Times in {props.timeZone}
      </div>
      {grid}
    </div>
  );
}
