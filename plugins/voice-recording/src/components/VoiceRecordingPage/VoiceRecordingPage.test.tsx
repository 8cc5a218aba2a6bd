import { screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeNumber } from '../../testUtils/fixtures';
import { VoiceRecordingPage } from './VoiceRecordingPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

// AuthorizeResult values of @backstage/plugin-permission-common
const DENY = 'DENY' as any;

function render(authorize: any) {
  const api = {
    listNumbers: jest.fn(async () => ({ items: [makeNumber()], total: 1 })),
    getMyNumbers: jest.fn(async () => ({
      items: [
        makeNumber({ id: 'b1', number: '+32470111111', status: 'recording' }),
      ],
    })),
    listPlanningModels: jest.fn(async () => ({ items: [] })),
  };
  const result = renderInTestApp(<VoiceRecordingPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, api],
      mockApis.permission({ authorize }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/*',
    initialRouteEntries: ['/voice-recording'],
  });
  return { api, result };
}

// usePermission caches decisions per permission (SWR) across renders of one test file,
// so the admin and the standard user are tested in separate files.
describe('VoiceRecordingPage (standard user)', () => {
  it('sends standard users to My numbers and hides the admin sections', async () => {
    const { api } = render(DENY);
    expect(
      await screen.findByTestId(
        'my-number-+32470111111',
        {},
        { timeout: 5000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'My numbers' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(screen.queryByRole('tab', { name: 'Numbers' })).toBeNull();
    expect(screen.queryByRole('tab', { name: 'Bulk scheduling' })).toBeNull();
    expect(
      screen.getByRole('tab', { name: 'Conversations' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('tab', { name: 'Audit' })).toBeNull();
    expect(api.listNumbers).not.toHaveBeenCalled();
  });
});
