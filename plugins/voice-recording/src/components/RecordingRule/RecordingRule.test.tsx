import { render, screen } from '@testing-library/react';
import { makeNumber } from '../../testUtils/fixtures';
import { RecordingRule, describeRecordingRule } from './RecordingRule';

const manual = (activeStatus: 'professional' | 'private') =>
  makeNumber({
    settings: {
      ...makeNumber().settings,
      statusMode: 'manual',
      activeStatus,
    },
  });

describe('describeRecordingRule', () => {
  it('words a Manual number by its active status, for its owner or an admin', () => {
    expect(describeRecordingRule(manual('professional'), true)).toBe(
      'Recorded: follows your manual status (Professional)',
    );
    expect(describeRecordingRule(manual('private'), true)).toBe(
      'Not recorded: follows your manual status (Private)',
    );
    expect(describeRecordingRule(manual('professional'))).toBe(
      'Recorded: follows the manual status (Professional)',
    );
  });

  it('names the zone of an Auto number’s schedule', () => {
    expect(describeRecordingRule(makeNumber())).toBe(
      'Recorded: follows the weekly schedule (times in Europe/Brussels)',
    );
  });

  it('says an FMU number cannot be recorded, whatever its mode', () => {
    expect(
      describeRecordingRule({
        ...manual('professional'),
        fmu: true,
        mvrActive: false,
      }),
    ).toBe('Cannot be recorded (FMU)');
    render(
      <RecordingRule
        number={{ ...makeNumber(), fmu: true, mvrActive: false }}
      />,
    );
    expect(screen.getByTestId('recording-rule')).toHaveAttribute(
      'data-rule',
      'fmu',
    );
  });

  it('says a number with MVR off is not recorded', () => {
    expect(describeRecordingRule(makeNumber({ mvrActive: false }))).toBe(
      'Not recorded: MVR is not active',
    );
  });
});
