import { configure, screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  voiceRecordingHealthAcknowledgePermission,
  voiceRecordingHealthReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeNumber } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { VoiceRecordingPage } from '../VoiceRecordingPage/VoiceRecordingPage';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

// A standard user: everything but the admin-only permissions (health among them).
const HEALTH = [
  voiceRecordingHealthReadPermission.name,
  voiceRecordingHealthAcknowledgePermission.name,
];
const authorize = (request: any) =>
  (HEALTH.includes(request.permission.name) ? 'DENY' : 'ALLOW') as any;

function setup(path: string) {
  const api = {
    listNumbers: jest.fn(async () => ({ items: [makeNumber()], total: 1 })),
    getHealthSummary: jest.fn(),
    listNumberCoverage: jest.fn(),
    getNumberCoverage: jest.fn(),
    listRecordingAlarms: jest.fn(),
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

describe('Recording health (without health.read)', () => {
  it('has no tab, and its URL (an alarm’s link) says it is not allowed without asking the backend', async () => {
    const api = setup('/voice-recording/health');
    expect(await screen.findByTestId('health-not-allowed')).toHaveTextContent(
      'you are not allowed to see it',
    );
    // the other sections are there: the user is signed in, just not allowed here
    expect(
      screen.getByRole('tab', { name: 'Conversations' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('tab', { name: 'Recording health' })).toBeNull();
    expect(api.getHealthSummary).not.toHaveBeenCalled();
    expect(api.listNumberCoverage).not.toHaveBeenCalled();
  });

  it('the number view (a notification’s link) is not allowed either', async () => {
    const api = setup('/voice-recording/health/numbers/n-silent');
    expect(await screen.findByTestId('health-not-allowed')).toBeInTheDocument();
    expect(screen.queryByTestId('health-number-title')).toBeNull();
    expect(api.getNumberCoverage).not.toHaveBeenCalled();
  });
});
