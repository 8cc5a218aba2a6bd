import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  catalogApiRef,
  entityPresentationApiRef,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { AuditEntry, voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationDetail } from '../../testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import { ConversationDetailPage } from './ConversationDetailPage';

const ALLOW = 'ALLOW' as any; // AuthorizeResult.ALLOW: an admin

const presentation = {
  forEntity: (ref: string) => {
    const snapshot = {
      entityRef: ref,
      primaryTitle: ref === 'user:default/alice' ? 'Alice Martin' : ref,
    };
    return { snapshot, promise: Promise.resolve(snapshot) };
  },
};

beforeEach(() => stubMediaAndCanvas());
afterEach(() => jest.restoreAllMocks());

describe('access history on the call page', () => {
  it('shows a playback as soon as the player has recorded it, without a reload', async () => {
    // the backend's access history: the view, then (once recorded) the playback
    const entries: AuditEntry[] = [
      {
        id: '1',
        at: '2026-12-04T23:02:00Z',
        actorRef: 'user:default/alice',
        action: 'conversation-view',
      },
    ];
    const getAccessHistory = jest.fn(async () => ({ items: [...entries] }));
    const player = playerApiMocks();
    player.recordPlaybackStart.mockImplementation(async () => {
      entries.unshift({
        id: '2',
        at: '2026-12-04T23:03:00Z',
        actorRef: 'user:default/alice',
        action: 'conversation-playback',
      });
    });
    renderInTestApp(<ConversationDetailPage />, {
      apis: [
        [catalogApiRef, catalogApiMock({ entities: [] })],
        [entityPresentationApiRef, presentation as any],
        [
          voiceRecordingApiRef,
          {
            ...player,
            getConversation: jest.fn(async () => makeConversationDetail()),
            getAccessHistory,
          },
        ],
        mockApis.permission({ authorize: ALLOW }),
      ],
      mountedRoutes: {
        '/voice-recording': rootRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
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
    ).toHaveLength(1);
    expect(history).toHaveTextContent('Opened');

    await waitFor(
      () => expect(screen.getByTestId('play-button')).toBeEnabled(),
      {
        timeout: 5000,
      },
    );
    // the <audio> element's play event (jsdom plays nothing)
    fireEvent.play(screen.getByTestId('player-audio'));
    await waitFor(() => expect(player.recordPlaybackStart).toHaveBeenCalled());

    await waitFor(() =>
      expect(within(history).getAllByTestId('access-history-row')).toHaveLength(
        2,
      ),
    );
    const newest = within(history).getAllByTestId('access-history-row')[0];
    expect(newest).toHaveTextContent('Played');
    expect(getAccessHistory).toHaveBeenCalledTimes(2);
  });
});
