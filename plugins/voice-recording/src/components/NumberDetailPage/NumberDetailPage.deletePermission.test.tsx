import { configure, screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { makeNumber } from '../../testUtils/fixtures';
import { NumberDetailPage } from './NumberDetailPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW

configure({ asyncUtilTimeout: 5000 });

// Its own file: usePermission caches each permission's answer for the whole file (a
// test that allowed delete earlier would answer for this one).
describe('NumberDetailPage (no delete permission)', () => {
  it('offers "Delete number" only to those with the delete permission', async () => {
    const number = makeNumber();
    renderInTestApp(<NumberDetailPage />, {
      apis: [
        ...catalogApis(),
        [
          voiceRecordingApiRef,
          {
            getNumber: jest.fn(async () => number),
            listPlanningModels: jest.fn(async () => ({ items: [] })),
          },
        ],
        mockApis.permission({
          authorize: req =>
            req.permission.name === 'voice-recording.number.delete'
              ? ('DENY' as any)
              : ALLOW,
        }),
      ],
      mountPath: '/voice-recording/numbers/:id',
      mountedRoutes: catalogRoutes,
      initialRouteEntries: ['/voice-recording/numbers/n1'],
    });
    expect(
      await screen.findByRole('button', { name: 'Save settings' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Delete number' })).toBeNull();
  });
});
