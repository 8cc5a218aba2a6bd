import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import {
  makeConversationDetail,
  makeConversationSummary,
} from '../../testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import { ConversationDetailPage } from '../ConversationDetailPage/ConversationDetailPage';
import { ConversationsPage } from './ConversationsPage';
import { AudioIssueChip, AudioIssuesBanner } from './AudioIssues';
import { audioIssueText } from '@mvr/plugin-voice-recording-common';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

const DENY = 'DENY' as any; // AuthorizeResult.DENY: a standard user

const NO_MEDIA = 'No usable audio: 0 RTP packets received';
const G729 =
  'No usable audio: the audio was in a codec the recorder cannot decode (G.729, PT 18: 300 packets)';

/** A conversation the recorder flagged: the backend's warnings include the same text. */
const silent = makeConversationSummary({
  id: 'silent',
  audioIssues: ['no-media'],
  quality: { packetsReceived: 0, audioPackets: 0 },
  qualityWarnings: [NO_MEDIA],
});

beforeEach(stubMediaAndCanvas);
afterEach(() => jest.restoreAllMocks());

describe('recordings without usable audio', () => {
  it('the conversation list shows a chip on them (once, not again among the quality warnings), and searches for them', async () => {
    const listConversations = jest.fn(async () => ({
      items: [silent, makeConversationSummary({ id: 'fine' })],
      total: 2,
    }));
    await renderInTestApp(<ConversationsPage />, {
      apis: [
        ...catalogApis(),
        [voiceRecordingApiRef, { listConversations }],
        mockApis.permission({ authorize: DENY }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/conversations',
      initialRouteEntries: ['/voice-recording/conversations'],
    });
    const row = await screen.findByTestId(
      'conversation-row-silent',
      {},
      { timeout: 5000 },
    );
    const chip = within(row).getByTestId('audio-issue-chip');
    expect(chip).toHaveTextContent('No usable audio');
    expect(chip).toHaveAttribute('aria-label', NO_MEDIA);
    expect(within(row).queryByTestId('quality-warning')).toBeNull();
    expect(
      within(screen.getByTestId('conversation-row-fine')).queryByTestId(
        'audio-issue-chip',
      ),
    ).toBeNull();

    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Audio$/ }));
    await user.click(screen.getByRole('option', { name: 'No usable audio' }));
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() =>
      expect(listConversations).toHaveBeenLastCalledWith(
        expect.objectContaining({ audioIssue: 'any' }),
      ),
    );
  });

  it('the call page says so in a banner, with the figures', async () => {
    const getConversation = jest.fn(async () =>
      makeConversationDetail({
        audioIssues: ['undecodable-codec'],
        quality: {
          packetsReceived: 300,
          audioPackets: 0,
          undecodable: [{ payloadType: 18, codec: 'G729', packets: 300 }],
        },
        qualityWarnings: [G729],
      }),
    );
    await renderInTestApp(<ConversationDetailPage />, {
      apis: [
        ...catalogApis(),
        [
          voiceRecordingApiRef,
          {
            ...playerApiMocks(),
            getConversation,
            getAccessHistory: jest.fn(async () => ({ items: [] })),
          },
        ],
        mockApis.permission({ authorize: DENY }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/conversations/:id',
      initialRouteEntries: ['/voice-recording/conversations/c1'],
    });
    const banner = await screen.findByTestId(
      'audio-issues-banner',
      {},
      { timeout: 5000 },
    );
    expect(banner).toHaveTextContent('This recording holds no usable audio');
    expect(banner).toHaveTextContent(G729);
    // said once: not repeated among the quality warnings
    expect(screen.queryByTestId('player-quality-warnings')).toBeNull();
    expect(screen.queryByTestId('quality-warning')).toBeNull();
  });

  it('audio missing in part (disk full): chip and banner say so, not "no usable audio"', async () => {
    const lost = {
      audioIssues: ['audio-lost' as const],
      quality: {
        packetsReceived: 3000,
        audioLostMs: 21500,
        audioLost: [
          { channel: 0, fromMs: 12300, toMs: 33800, reason: 'memory-budget' },
        ],
      },
    };
    const text = audioIssueText('audio-lost', lost.quality);
    await renderInTestApp(<AudioIssueChip conversation={lost} />);
    expect(screen.getByTestId('audio-issue-chip')).toHaveTextContent(
      'Audio missing',
    );
    expect(screen.getByTestId('audio-issue-chip')).toHaveAttribute(
      'aria-label',
      text,
    );
    await renderInTestApp(<AudioIssuesBanner conversation={lost} />);
    const banner = screen.getByTestId('audio-issues-banner');
    expect(banner).toHaveTextContent(
      "Part of this call's audio is not in the recording",
    );
    expect(banner).toHaveTextContent(text);
    expect(banner).not.toHaveTextContent('silence');
  });

  it('no banner on a recording with audio', async () => {
    const getConversation = jest.fn(async () => makeConversationDetail());
    await renderInTestApp(<ConversationDetailPage />, {
      apis: [
        ...catalogApis(),
        [
          voiceRecordingApiRef,
          {
            ...playerApiMocks(),
            getConversation,
            getAccessHistory: jest.fn(async () => ({ items: [] })),
          },
        ],
        mockApis.permission({ authorize: DENY }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/conversations/:id',
      initialRouteEntries: ['/voice-recording/conversations/c1'],
    });
    await screen.findByTestId('conversation-title', {}, { timeout: 5000 });
    expect(screen.queryByTestId('audio-issues-banner')).toBeNull();
  });
});
