import { fireEvent, screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { makeNumber } from '../../testUtils/fixtures';
import { MyNumberCard } from './MyNumberCard';

describe('MyNumberCard', () => {
  it('says why a number is not recorded and has no switch when not self-managed', async () => {
    await renderInTestApp(
      <MyNumberCard
        number={makeNumber({ mvrActive: false, status: 'inactive' })}
      />,
      { apis: [[voiceRecordingApiRef, {}]] },
    );
    expect(screen.getByTestId('recording-now')).toHaveTextContent(
      'Being recorded now: No (MVR is not active for +32470123456)',
    );
    expect(
      screen.queryByRole('checkbox', { name: 'Professional mode' }),
    ).toBeNull();
  });

  it('switches professional mode of a self-managed number', async () => {
    const selfManaged = makeNumber({
      status: 'recording',
      settings: {
        ...makeNumber().settings,
        selfManaged: true,
        statusMode: 'manual',
      },
    });
    const setProfessionalMode = jest.fn(async () => ({
      ...selfManaged,
      status: 'private' as const,
      settings: { ...selfManaged.settings, activeStatus: 'private' as const },
    }));
    await renderInTestApp(<MyNumberCard number={selfManaged} />, {
      apis: [[voiceRecordingApiRef, { setProfessionalMode }]],
    });
    expect(screen.getByTestId('recording-now')).toHaveTextContent(
      'Being recorded now: Yes',
    );
    const toggle = screen.getByRole('checkbox', { name: 'Professional mode' });
    expect(toggle).toBeChecked();
    fireEvent.click(toggle);
    expect(await screen.findByText('Private')).toBeInTheDocument();
    expect(setProfessionalMode).toHaveBeenCalledWith('n1', false);
    expect(
      screen.getByRole('checkbox', { name: 'Professional mode' }),
    ).not.toBeChecked();
    expect(screen.getByTestId('recording-now')).toHaveTextContent(
      'Being recorded now: No',
    );
  });

  it('shows a Manual number’s status as a sentence, not a weekly grid that contradicts it', async () => {
    const manual = makeNumber({
      status: 'recording',
      settings: { ...makeNumber().settings, statusMode: 'manual' },
    });
    await renderInTestApp(<MyNumberCard number={manual} />, {
      apis: [[voiceRecordingApiRef, {}]],
    });
    expect(screen.getByTestId('recording-rule')).toHaveTextContent(
      'Recorded: follows your manual status (Professional)',
    );
    expect(screen.queryByTestId('week-grid')).toBeNull();
  });

  it('shows an Auto number’s weekly grid and names its time zone once, in the rule above it', async () => {
    await renderInTestApp(<MyNumberCard number={makeNumber()} />, {
      apis: [[voiceRecordingApiRef, {}]],
    });
    expect(screen.getByTestId('week-grid')).toBeInTheDocument();
    expect(screen.getByTestId('recording-rule')).toHaveTextContent(
      'Recorded: follows the weekly schedule (times in Europe/Brussels)',
    );
    const card = screen.getByTestId('my-number-+32470123456');
    expect(card.textContent?.match(/Europe\/Brussels/g)).toHaveLength(1);
    expect(screen.queryByTestId('week-grid-zone')).toBeNull();
  });

  it('says an FMU number cannot be recorded, with no grid', async () => {
    await renderInTestApp(
      <MyNumberCard
        number={makeNumber({ fmu: true, mvrActive: false, status: 'inactive' })}
      />,
      { apis: [[voiceRecordingApiRef, {}]] },
    );
    expect(screen.getByTestId('status-badge')).toHaveTextContent(
      'Cannot be recorded (FMU)',
    );
    expect(screen.getByTestId('recording-rule')).toHaveTextContent(
      'Cannot be recorded (FMU)',
    );
    expect(screen.getByTestId('recording-now')).toHaveTextContent(
      'Being recorded now: No (an FMU number cannot be recorded)',
    );
    expect(screen.queryByTestId('week-grid')).toBeNull();
  });
});
