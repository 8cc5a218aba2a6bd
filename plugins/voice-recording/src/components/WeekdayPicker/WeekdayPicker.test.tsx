import { useState } from 'react';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Weekday } from '@mvr/plugin-voice-recording-common';
import { WeekdayPicker } from './WeekdayPicker';

function Picker(props: {
  initial: Weekday[];
  onValue: (v: Weekday[]) => void;
  disabled?: boolean;
}) {
  const [value, setValue] = useState(props.initial);
  return (
    <WeekdayPicker
      label="Weekdays (slot 2)"
      value={value}
      disabled={props.disabled}
      onChange={v => {
        setValue(v);
        props.onValue(v);
      }}
    />
  );
}

describe('WeekdayPicker', () => {
  it('is a group of day checkboxes named by its label; ticking keeps Mon..Sun order', async () => {
    const onValue = jest.fn();
    render(<Picker initial={[3]} onValue={onValue} />);
    const group = screen.getByRole('group', { name: 'Weekdays (slot 2)' });
    const days = within(group).getAllByRole('checkbox');
    expect(days).toHaveLength(7);
    expect(within(group).getByRole('checkbox', { name: 'Wed' })).toBeChecked();
    expect(
      within(group).getByRole('checkbox', { name: 'Mon' }),
    ).not.toBeChecked();

    await userEvent.click(within(group).getByRole('checkbox', { name: 'Sat' }));
    await userEvent.click(within(group).getByRole('checkbox', { name: 'Mon' }));
    expect(onValue).toHaveBeenLastCalledWith([1, 3, 6]);

    await userEvent.click(within(group).getByRole('checkbox', { name: 'Wed' }));
    expect(onValue).toHaveBeenLastCalledWith([1, 6]);
  });

  it('can be disabled', () => {
    render(<Picker initial={[]} onValue={jest.fn()} disabled />);
    expect(screen.getByRole('checkbox', { name: 'Fri' })).toBeDisabled();
  });
});
