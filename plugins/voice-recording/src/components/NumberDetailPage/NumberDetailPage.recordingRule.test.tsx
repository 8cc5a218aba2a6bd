import { screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { makeNumber } from '../../testUtils/fixtures';
import { NumberDetailPage } from './NumberDetailPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW

function renderPage(number: ReturnType<typeof makeNumber>) {
  return renderInTestApp(<NumberDetailPage />, {
    apis: [
      ...catalogApis(),
      [
        voiceRecordingApiRef,
        {
          listPlanningModels: jest.fn(async () => ({ items: [] })),
          getNumber: jest.fn(async () => number),
        },
      ],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountPath: '/voice-recording/numbers/:id',
    mountedRoutes: catalogRoutes,
    initialRouteEntries: ['/voice-recording/numbers/n1'],
  });
}

describe('NumberDetailPage recording rule', () => {
  it('says what a Manual number follows and marks the (editable) schedule as not in effect', async () => {
    renderPage(
      makeNumber({
        status: 'recording',
        settings: { ...makeNumber().settings, statusMode: 'manual' },
      }),
    );
    expect(await screen.findByTestId('recording-rule')).toHaveTextContent(
      'Recorded: follows the manual status (Professional)',
    );
    expect(screen.getByTestId('schedule-not-in-effect')).toHaveTextContent(
      'not in effect',
    );
    expect(screen.getByTestId('week-grid-zone')).toHaveTextContent(
      'Times in Europe/Brussels',
    );
  });

  it('labels an Auto number’s schedule with its zone and does not call it out of effect', async () => {
    renderPage(
      makeNumber({
        settings: { ...makeNumber().settings, timeZone: 'Europe/London' },
      }),
    );
    expect(await screen.findByTestId('recording-rule')).toHaveTextContent(
      'Recorded: follows the weekly schedule (times in Europe/London)',
    );
    expect(screen.queryByTestId('schedule-not-in-effect')).toBeNull();
    // the zone is named once: by the rule, not again by the grid
    expect(screen.getAllByText(/Europe\/London/)).toHaveLength(1);
    expect(screen.queryByTestId('week-grid-zone')).toBeNull();
  });

  it('shows an FMU number’s badge as "Cannot be recorded (FMU)"', async () => {
    renderPage(makeNumber({ fmu: true, mvrActive: false, status: 'inactive' }));
    expect(await screen.findByTestId('status-badge')).toHaveTextContent(
      'Cannot be recorded (FMU)',
    );
  });
});
