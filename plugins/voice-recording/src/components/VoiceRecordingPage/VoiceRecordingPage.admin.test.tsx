import { screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeNumber } from '../../testUtils/fixtures';
import { VoiceRecordingPage } from './VoiceRecordingPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

// AuthorizeResult values of @backstage/plugin-permission-common
const ALLOW = 'ALLOW' as any;

function render(authorize: typeof ALLOW) {
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
describe('VoiceRecordingPage (admin)', () => {
  it('sends admins to the numbers list with every section', async () => {
    const { api } = render(ALLOW);
    expect(
      await screen.findByTestId(
        'number-row-+32470123456',
        {},
        { timeout: 5000 },
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Numbers' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(
      screen.getByRole('tab', { name: 'Bulk scheduling' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('tab', { name: 'Planning models' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Add number' }),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('tab', { name: 'Conversations' }),
    ).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Audit' })).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Cases' })).toHaveAttribute(
      'href',
      '/voice-recording/cases',
    );
    expect(screen.getByRole('tab', { name: 'Workflows' })).toHaveAttribute(
      'href',
      '/voice-recording/workflows',
    );
    expect(api.listNumbers).toHaveBeenCalledWith(
      expect.objectContaining({ limit: 50, offset: 0 }),
    );
    // The tabs are links; the content has the standard page padding of a
    // Backstage UI Container (not flush against the sidebar).
    expect(screen.getByRole('tab', { name: 'Audit' })).toHaveAttribute(
      'href',
      '/voice-recording/audit',
    );
    expect(
      screen.getByRole('tablist', { name: 'Voice recording sections' }),
    ).toBeInTheDocument();
    expect(
      screen.getByTestId('number-row-+32470123456').closest('.bui-Container'),
    ).not.toBeNull();
  });
});
