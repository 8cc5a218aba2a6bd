import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationDetail } from '../../testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import { ConversationDetailPage } from './ConversationDetailPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW: an admin

beforeEach(() => {
  stubMediaAndCanvas();
  (URL as any).createObjectURL = jest.fn(() => 'blob:mp3');
  (URL as any).revokeObjectURL = jest.fn();
});
afterEach(() => jest.restoreAllMocks());

describe('ConversationDetailPage (admin)', () => {
  it('downloads the MP3 with auth and shows the access history', async () => {
    const downloadConversation = jest.fn(async () => ({
      blob: new Blob(['ID3']),
      fileName: '2026-11-25_1030_+32470123456_+32471234567.mp3',
    }));
    const getAccessHistory = jest.fn(async () => ({
      items: [
        {
          id: '2',
          at: '2026-11-25T11:00:00Z',
          actorRef: 'user:default/alice',
          action: 'conversation-view',
        },
        {
          id: '1',
          at: '2026-11-25T10:50:00Z',
          actorRef: 'user:default/bob',
          action: 'conversation-playback',
        },
      ],
    }));
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(() => undefined);
    renderInTestApp(<ConversationDetailPage />, {
      apis: [
        ...catalogApis(),
        [
          voiceRecordingApiRef,
          {
            ...playerApiMocks(),
            getConversation: jest.fn(async () => makeConversationDetail()),
            downloadConversation,
            getAccessHistory,
          },
        ],
        mockApis.permission({ authorize: ALLOW }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/conversations/:id',
      initialRouteEntries: ['/voice-recording/conversations/c1'],
    });

    const history = await screen.findByTestId(
      'access-history',
      {},
      { timeout: 5000 },
    );
    expect(
      await within(history).findAllByTestId('access-history-row'),
    ).toHaveLength(2);
    expect(history).toHaveTextContent('Alice Martin');
    expect(history).toHaveTextContent('Bob Peeters');

    fireEvent.click(screen.getByRole('button', { name: 'Download MP3' }));
    await waitFor(() => expect(click).toHaveBeenCalled());
    expect(downloadConversation).toHaveBeenCalledWith('c1');
    expect(URL.createObjectURL).toHaveBeenCalled();
    // The download is an access: the history is reloaded.
    await waitFor(() => expect(getAccessHistory).toHaveBeenCalledTimes(2));
  });
});
