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
});
