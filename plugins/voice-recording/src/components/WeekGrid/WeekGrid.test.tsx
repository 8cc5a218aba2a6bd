import { render, screen, within } from '@testing-library/react';
import { WeekGrid } from './WeekGrid';

describe('WeekGrid', () => {
  it('draws 7 day columns and one block per weekday of each slot, placed by time', () => {
    render(
      <WeekGrid
        slots={[
          { weekdays: [1, 3], start: '06:00', end: '12:00' },
          { weekdays: [7], start: '18:00', end: '24:00' },
        ]}
      />,
    );
    const grid = screen.getByTestId('week-grid');
    for (const day of ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']) {
      expect(
        within(grid).getByRole('columnheader', { name: day }),
      ).toBeInTheDocument();
    }
    expect(screen.getAllByTestId('week-grid-slot')).toHaveLength(3);
    // A table of two rows (day names; the days) for assistive technology, each
    // slot an image named by its day and times.
    expect(within(grid).getAllByRole('row')).toHaveLength(2);
    expect(within(grid).getByRole('cell', { name: 'Wed' })).toBe(
      screen.getByTestId('week-grid-day-3'),
    );
    expect(
      within(grid).getByRole('img', { name: 'Sun 18:00-24:00' }),
    ).toHaveAttribute('data-testid', 'week-grid-slot');

    const monday = within(screen.getByTestId('week-grid-day-1')).getByTestId(
      'week-grid-slot',
    );
    expect(monday).toHaveAttribute('aria-label', 'Mon 06:00-12:00');
    expect(monday.style.top).toBe('25%');
    expect(monday.style.height).toBe('25%');

    expect(
      within(screen.getByTestId('week-grid-day-2')).queryByTestId(
        'week-grid-slot',
      ),
    ).toBeNull();
    expect(
      within(screen.getByTestId('week-grid-day-3')).getByTestId(
        'week-grid-slot',
      ),
    ).toBeInTheDocument();

    const sunday = within(screen.getByTestId('week-grid-day-7')).getByTestId(
      'week-grid-slot',
    );
    expect(sunday).toHaveAttribute('aria-label', 'Sun 18:00-24:00');
    expect(sunday.style.top).toBe('75%');
    expect(sunday.style.height).toBe('25%');
  });

  it('skips invalid slots and marks slots with errors', () => {
    render(
      <WeekGrid
        slots={[
          { weekdays: [2], start: '10:00', end: '09:00' },
          { weekdays: [2], start: '08:00', end: '09:00' },
        ]}
        errorIndexes={[1]}
      />,
    );
    const blocks = screen.getAllByTestId('week-grid-slot');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toHaveAttribute('data-slot-index', '1');
    expect(blocks[0]).toHaveAttribute('data-error', 'true');
  });

  it('takes its colours from the theme (Backstage UI tokens), not fixed hex values', () => {
    render(
      <WeekGrid
        slots={[
          { weekdays: [1], start: '08:00', end: '12:00' },
          { weekdays: [1], start: '13:00', end: '17:00' },
          { weekdays: [2], start: '08:00', end: '09:00' },
        ]}
        errorIndexes={[2]}
        timeZone="Europe/Brussels"
      />,
    );
    const [first, second, broken] = screen.getAllByTestId('week-grid-slot');
    expect(first.style.backgroundColor).toMatch(/^var\(--bui-/);
    expect(second.style.backgroundColor).toMatch(/^var\(--bui-/);
    // Two slots, two colours.
    expect(first.style.backgroundColor).not.toEqual(
      second.style.backgroundColor,
    );
    expect(broken.style.backgroundColor).toBe('var(--bui-negative-bg)');
    expect(screen.getByTestId('week-grid').style.border).toContain(
      'var(--bui-border-1)',
    );
    expect(screen.getByTestId('week-grid-zone')).toHaveTextContent(
      'Times in Europe/Brussels',
    );
  });
});
