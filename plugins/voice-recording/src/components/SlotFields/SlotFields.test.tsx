import { useState } from 'react';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { TimeSlot } from '@mvr/plugin-voice-recording-common';
import { SlotFields } from './SlotFields';
import { normalizeTime, timeProblem } from './TimePicker';

function Slot(props: { initial?: TimeSlot; onValue: (s: TimeSlot) => void }) {
  const [value, setValue] = useState<TimeSlot>(
    props.initial ?? { weekdays: [], start: '', end: '' },
  );
  return (
    <SlotFields
      labelSuffix="slot 1"
      value={value}
      onChange={s => {
        setValue(s);
        props.onValue(s);
      }}
    />
  );
}

describe('normalizeTime', () => {
  it.each([
    ['8', '08:00'],
    ['8:30', '08:30'],
    ['08:30', '08:30'],
    ['830', '08:30'],
    ['0830', '08:30'],
    ['8.30', '08:30'],
    ['8h30', '08:30'],
    ['24', '24:00'],
    [' 17:05 ', '17:05'],
  ])('%s -> %s', (typed, time) => expect(normalizeTime(typed)).toBe(time));
  it.each(['noon', '25:00', '24:01', '08:60', '', '1:2:3'])(
    'rejects %s',
    typed => expect(normalizeTime(typed)).toBeUndefined(),
  );
});

describe('timeProblem', () => {
  it('takes 24:00 as an end only, 00:00 as a start only', () => {
    expect(timeProblem('24:00', 'end')).toBeUndefined();
    expect(timeProblem('24:00', 'start')).toMatch(/from 00:00 to 23:59/);
    expect(timeProblem('00:00', 'start')).toBeUndefined();
    expect(timeProblem('00:00', 'end')).toMatch(/24:00 \(end of day\)/);
    expect(timeProblem('', 'end')).toBeUndefined();
  });
});

describe('SlotFields', () => {
  it('has time pickers named Start and End that list times to pick', async () => {
    const onValue = jest.fn();
    render(<Slot onValue={onValue} />);
    const start = screen.getByRole('combobox', { name: 'Start (slot 1)' });
    // Typing opens no list (nothing covers the next fields) ...
    await userEvent.type(start, '07');
    expect(screen.queryByRole('listbox')).toBeNull();
    // ... its button lists the times that start with what was typed.
    await userEvent.click(
      screen.getAllByRole('button', { name: /Start \(slot 1\)/ })[0],
    );
    const listbox = await screen.findByRole('listbox');
    expect(
      within(listbox)
        .getAllByRole('option')
        .map(o => o.textContent),
    ).toEqual(['07:00', '07:30']);
    await userEvent.click(
      within(listbox).getByRole('option', { name: '07:30' }),
    );
    expect(onValue).toHaveBeenLastCalledWith({
      weekdays: [],
      start: '07:30',
      end: '',
    });
    expect(start).toHaveValue('07:30');
  });

  it('offers 24:00 (end of day) as an end, not as a start', async () => {
    const onValue = jest.fn();
    render(<Slot onValue={onValue} />);
    const end = screen.getByRole('combobox', { name: 'End (slot 1)' });
    await userEvent.type(end, '2');
    await userEvent.keyboard('{ArrowDown}');
    const endOfDay = within(await screen.findByRole('listbox')).getByRole(
      'option',
      { name: '24:00' },
    );
    expect(endOfDay).toHaveTextContent('end of day');
    await userEvent.click(endOfDay);
    expect(onValue).toHaveBeenLastCalledWith(
      expect.objectContaining({ end: '24:00' }),
    );

    await userEvent.type(
      screen.getByRole('combobox', { name: 'Start (slot 1)' }),
      '2{ArrowDown}',
    );
    const starts = within(await screen.findByRole('listbox'))
      .getAllByRole('option')
      .map(o => o.textContent);
    expect(starts).toContain('23:30');
    expect(starts.some(s => s?.startsWith('24:00'))).toBe(false);
  });

  it('takes a typed time, tidies it on leaving the field, and keeps the weekdays', async () => {
    const onValue = jest.fn();
    render(
      <Slot
        initial={{ weekdays: [1, 2], start: '', end: '' }}
        onValue={onValue}
      />,
    );
    const end = screen.getByRole('combobox', { name: 'End (slot 1)' });
    await userEvent.type(end, '17:45');
    await userEvent.tab();
    expect(onValue).toHaveBeenLastCalledWith({
      weekdays: [1, 2],
      start: '',
      end: '17:45',
    });
    const start = screen.getByRole('combobox', { name: 'Start (slot 1)' });
    await userEvent.type(start, '8:15');
    await userEvent.tab();
    expect(onValue).toHaveBeenLastCalledWith({
      weekdays: [1, 2],
      start: '08:15',
      end: '17:45',
    });
    expect(start).toHaveValue('08:15');
    // A plain change event (as page tests and autofill send) sets the value too.
    fireEvent.change(end, { target: { value: '18:00' } });
    expect(onValue).toHaveBeenLastCalledWith(
      expect.objectContaining({ end: '18:00' }),
    );
  });

  it('says next to the field when a typed time is not one, once the field is left', async () => {
    render(<Slot onValue={jest.fn()} />);
    const start = screen.getByRole('combobox', { name: 'Start (slot 1)' });
    await userEvent.type(start, 'noon');
    expect(screen.queryByText(/Use HH:MM/)).toBeNull();
    await userEvent.tab();
    const message = await screen.findByText('Use HH:MM, from 00:00 to 23:59');
    expect(start).toHaveAttribute('aria-invalid', 'true');
    expect(message.id).not.toBe('');
    expect(start.getAttribute('aria-describedby') ?? '').toContain(message.id);

    await userEvent.clear(start);
    await userEvent.type(start, '09:00');
    expect(screen.queryByText(/Use HH:MM/)).toBeNull();
  });
  it("shows the problem in the readable danger colour, not BUI's 4.0:1 red", async () => {
    render(<Slot onValue={jest.fn()} />);
    await userEvent.type(
      screen.getByRole('combobox', { name: 'End (slot 1)' }),
      '25:00',
    );
    await userEvent.tab();
    const message = await screen.findByTestId('time-problem');
    // BUI's subdued negative colour: #991919 on white, #fca5a5 on the dark theme.
    expect(message.style.color).toBe('var(--bui-negative-fg-subdued)');
  });
});
