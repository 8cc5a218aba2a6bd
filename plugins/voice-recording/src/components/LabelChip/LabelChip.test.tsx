import { render, screen } from '@testing-library/react';
import { LabelChip } from './LabelChip';
import {
  DARK_TEXT,
  LIGHT_TEXT,
  contrastRatio,
  readableTextColour,
} from './labelColour';

describe('readableTextColour', () => {
  it('writes white on dark and near-black on light colours', () => {
    expect(readableTextColour('#000080')).toBe(LIGHT_TEXT); // navy
    expect(readableTextColour('#b00020')).toBe(LIGHT_TEXT); // dark red
    expect(readableTextColour('#ffeb3b')).toBe(DARK_TEXT); // yellow
    expect(readableTextColour('#FFFFFF')).toBe(DARK_TEXT);
    expect(readableTextColour('#00ff00')).toBe(DARK_TEXT); // bright green
  });

  it('reaches WCAG AA (4.5:1) on saturated, pastel and mid-grey colours', () => {
    for (const bg of [
      '#e53935',
      '#1e88e5',
      '#43a047',
      '#fb8c00',
      '#8e24aa',
      '#f8bbd0',
      '#00897b',
      '#000000',
      '#767676',
      '#777777',
      '#808080',
    ]) {
      expect(contrastRatio(bg, readableTextColour(bg))).toBeGreaterThanOrEqual(
        4.5,
      );
    }
  });

  it('is the theme-neutral text for an invalid colour', () => {
    expect(readableTextColour('red')).toBe(DARK_TEXT);
  });
});

describe('LabelChip', () => {
  it('shows the title on the label colour with readable text', () => {
    render(
      <LabelChip
        label={{ title: 'Client X', colour: '#000080' }}
        description="Case Client X fraud"
      />,
    );
    const chip = screen.getByTestId('label-chip');
    expect(chip).toHaveTextContent('Client X');
    expect(chip).toHaveAttribute('title', 'Client X (Case Client X fraud)');
    expect(chip).toHaveStyle({
      backgroundColor: '#000080',
      color: LIGHT_TEXT,
    });
  });

  it('falls back to neutral colours for an invalid colour', () => {
    render(<LabelChip label={{ title: 'Odd', colour: 'not-a-colour' }} />);
    const chip = screen.getByTestId('label-chip');
    expect(chip).toHaveTextContent('Odd');
    expect(chip).not.toHaveAttribute('data-colour');
  });
});
