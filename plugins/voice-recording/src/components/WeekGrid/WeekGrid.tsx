import type { CSSProperties } from 'react';
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

/**
 * Slot colours: Backstage UI's subdued hues (background, text, edge), which the light
 * and dark themes each define, so blocks read in both. On the green and orange blocks
 * the text is the theme's primary text colour: their own subdued text colours are below
 * the 4.5:1 contrast of WCAG AA there (4.3 and 4.1 in the light theme).
 */
export const SLOT_PALETTE: ReadonlyArray<{
  background: string;
  color: string;
  border: string;
}> = [
  {
    background: 'var(--bui-announcement-bg-subdued)',
    color: 'var(--bui-announcement-fg-subdued)',
    border: 'var(--bui-announcement-border)',
  },
  {
    background: 'var(--bui-positive-bg-subdued)',
    color: 'var(--bui-fg-primary)',
    border: 'var(--bui-positive-border)',
  },
  {
    background: 'var(--bui-warning-bg-subdued)',
    color: 'var(--bui-fg-primary)',
    border: 'var(--bui-warning-border)',
  },
  {
    background: 'var(--bui-accent-bg)',
    color: 'var(--bui-accent-fg)',
    border: 'var(--bui-border-2)',
  },
];

/** A slot with a validation error: the theme's red, hatched and outlined. */
const ERROR_COLOURS = {
  background: 'var(--bui-negative-bg)',
  color: 'var(--bui-negative-fg)',
  border: 'var(--bui-negative-border)',
};

const DIVIDER = 'var(--bui-border-1)';

const styles: Record<string, CSSProperties> = {
  grid: {
    display: 'grid',
    gridTemplateColumns: '3.5em repeat(7, minmax(0, 1fr))',
    border: `1px solid ${DIVIDER}`,
    fontSize: 'var(--bui-font-size-2)',
    color: 'var(--bui-fg-primary)',
    backgroundColor: 'var(--bui-bg-neutral-1)',
  },
  head: {
    textAlign: 'center',
    fontWeight: 'bold',
    padding: 'var(--bui-space-1)',
    borderBottom: `1px solid ${DIVIDER}`,
  },
  row: { display: 'contents' },
  hours: { position: 'relative' },
  hourLabel: {
    boxSizing: 'border-box',
    paddingRight: 'var(--bui-space-1)',
    textAlign: 'right',
    color: 'var(--bui-fg-secondary)',
  },
  day: {
    position: 'relative',
    borderLeft: `1px solid ${DIVIDER}`,
  },
  hourLine: {
    boxSizing: 'border-box',
    borderTop: `1px dotted ${DIVIDER}`,
  },
  block: {
    position: 'absolute',
    left: 2,
    right: 2,
    borderRadius: 3,
    overflow: 'hidden',
    padding: '0 2px',
    opacity: 0.9,
    boxSizing: 'border-box',
  },
  caption: {
    fontSize: 'var(--bui-font-size-2)',
    color: 'var(--bui-fg-secondary)',
    marginBottom: 'var(--bui-space-1)',
  },
  error: {
    outline: `2px solid ${ERROR_COLOURS.border}`,
    backgroundImage:
      'repeating-linear-gradient(45deg, transparent, transparent 4px, rgba(255,255,255,.35) 4px, rgba(255,255,255,.35) 8px)',
  },
};

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
  const hourHeight = props.hourHeight ?? 18;
  const errors = new Set(props.errorIndexes ?? []);
  const height = hourHeight * 24;

  const grid = (
    <div
      style={styles.grid}
      data-testid="week-grid"
      role="table"
      aria-label="Weekly schedule"
    >
      {/* Rows for assistive technology only (display: contents keeps the CSS grid). */}
      <div role="row" style={styles.row}>
        <div style={styles.head} role="columnheader" aria-label="Hour" />
        {DAYS.map(day => (
          <div key={day} style={styles.head} role="columnheader">
            {WEEKDAY_NAMES[day]}
          </div>
        ))}
      </div>
      <div role="row" style={styles.row}>
        <div style={{ ...styles.hours, height }} role="cell" aria-label="Hours">
          {HOURS.map(h => (
            <div
              key={h}
              style={{ ...styles.hourLabel, height: hourHeight }}
              aria-hidden="true"
            >
              {`${String(h).padStart(2, '0')}:00`}
            </div>
          ))}
        </div>
        {DAYS.map(day => (
          <div
            key={day}
            style={{ ...styles.day, height }}
            data-testid={`week-grid-day-${day}`}
            role="cell"
            aria-label={WEEKDAY_NAMES[day]}
          >
            {HOURS.map(h => (
              <div key={h} style={{ ...styles.hourLine, height: hourHeight }} />
            ))}
            {props.slots.map((slot, index) => {
              if (!slot.weekdays?.includes(day)) return null;
              const start = parseTimeOfDay(slot.start);
              const end = parseTimeOfDay(slot.end);
              if (start === undefined || end === undefined || end <= start)
                return null;
              const label = `${WEEKDAY_NAMES[day]} ${slot.start}-${slot.end}`;
              const hasError = errors.has(index);
              const colours = hasError
                ? ERROR_COLOURS
                : SLOT_PALETTE[index % SLOT_PALETTE.length];
              return (
                <div
                  key={`${index}-${day}`}
                  title={describeSlot(slot)}
                  data-testid="week-grid-slot"
                  data-slot-index={index}
                  data-error={hasError ? 'true' : undefined}
                  role="img"
                  aria-label={label}
                  style={{
                    ...styles.block,
                    ...(hasError ? styles.error : {}),
                    top: `${(start / MINUTES_PER_DAY) * 100}%`,
                    height: `${((end - start) / MINUTES_PER_DAY) * 100}%`,
                    backgroundColor: colours.background,
                    color: colours.color,
                    borderLeft: `3px solid ${colours.border}`,
                  }}
                >
                  {end - start >= 60 ? `${slot.start}-${slot.end}` : ''}
                </div>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
  if (!props.timeZone) return grid;
  return (
    <div>
      <div style={styles.caption} data-testid="week-grid-zone">
        Times in {props.timeZone}
      </div>
      {grid}
    </div>
  );
}
