import { configure, screen, waitFor } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  voiceRecordingAccessRequestCreatePermission,
  voiceRecordingCaseReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { makeCase, makeRequest } from '../../testUtils/cases';
import { VoiceRecordingPage } from './VoiceRecordingPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

// A standard user: may read cases and request access, nothing else. (usePermission
// caches decisions per permission across one file: admins are in the admin file.)
const STANDARD = [
  voiceRecordingAccessRequestCreatePermission.name,
  voiceRecordingCaseReadPermission.name,
];
const authorize = (request: any) =>
  (STANDARD.includes(request.permission.name) ? 'ALLOW' : 'DENY') as any;

function render(path: string) {
  const api = {
    getMyNumbers: jest.fn(async () => ({ items: [] })),
    getAccessRequest: jest.fn(async () => makeRequest()),
    getCase: jest.fn(async () => makeCase()),
    listCases: jest.fn(async () => ({ items: [makeCase()] })),
    listLabels: jest.fn(async () => ({ items: [] })),
  };
  renderInTestApp(<VoiceRecordingPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, api],
      mockApis.permission({ authorize }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/*',
    initialRouteEntries: [path],
  });
  return api;
}

describe('VoiceRecordingPage: cases and workflows (standard user)', () => {
  it('opens a request from its notification link, with the Workflows tab selected and no Cases tab', async () => {
    const api = render('/voice-recording/workflows/requests/r1');
    expect(
      await screen.findByRole('heading', {
        name: 'Access request for Client X fraud',
      }),
    ).toBeInTheDocument();
    expect(api.getAccessRequest).toHaveBeenCalledWith('r1');
    await waitFor(() =>
      expect(screen.getByRole('tab', { name: 'Workflows' })).toHaveAttribute(
        'aria-selected',
        'true',
      ),
    );
    expect(screen.queryByRole('tab', { name: 'Cases' })).toBeNull();
    // a standard user may not decide
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
  });

  it('does not show the cases page to a standard user', async () => {
    const api = render('/voice-recording/cases');
    expect(
      await screen.findByRole('tab', { name: 'My numbers' }),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('tab', { name: 'My numbers' })).toHaveAttribute(
        'aria-selected',
        'true',
      ),
    );
    expect(api.listCases).not.toHaveBeenCalled();
  });
});
