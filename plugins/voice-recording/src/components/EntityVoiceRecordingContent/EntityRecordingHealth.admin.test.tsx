import { screen, within } from '@testing-library/react';
import { makeNumber } from '../../testUtils/fixtures';
import { SILENT_SUMMARY, alarm, coverage } from '../../testUtils/health';
import { numberEntity, renderEntityTab } from './__testUtils__/entityTab';

// an admin (usePermission caches decisions across the tests of a file: the standard
// user is in EntityRecordingHealth.test.tsx)
describe('recording health on the entity tab (admin)', () => {
  it('shows the open alarms’ sentences from the API and links to the number’s Recording health', async () => {
    const getNumberCoverage = jest.fn(async () => ({
      coverage: coverage({
        numberId: 'n1',
        attention: 'failed',
        openAlarms: [alarm({ numberId: 'n1', number: '+32470123456' })],
        lastRecordedCallAt: undefined,
      }),
      days: [],
      alarms: [],
    }));
    renderEntityTab(
      // the annotation is older than the API's answer: the API wins
      numberEntity('warning'),
      { getNumber: jest.fn(async () => makeNumber()), getNumberCoverage },
      'ALLOW',
    );
    const health = await screen.findByTestId('entity-recording-health');
    expect(
      await within(health).findByRole('list', {
        name: 'Open recording alarms',
      }),
    ).toHaveTextContent(SILENT_SUMMARY);
    expect(within(health).getByTestId('attention-badge')).toHaveTextContent(
      'Failed',
    );
    expect(health).toHaveTextContent('Last recorded call: never');
    expect(
      within(health).getByRole('link', { name: 'Open in Recording health' }),
    ).toHaveAttribute('href', '/voice-recording/health/numbers/n1');
    expect(getNumberCoverage).toHaveBeenCalledWith('n1');
  });

  it('says nothing of health for a number whose MVR is inactive', async () => {
    const getNumberCoverage = jest.fn();
    renderEntityTab(
      numberEntity(),
      {
        getNumber: jest.fn(async () => makeNumber({ mvrActive: false })),
        getNumberCoverage,
      },
      'ALLOW',
    );
    await screen.findByTestId('number-title');
    expect(screen.queryByTestId('entity-recording-health')).toBeNull();
    expect(getNumberCoverage).not.toHaveBeenCalled();
  });
});
