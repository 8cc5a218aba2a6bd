import { screen, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationDetail } from '../../testUtils/conversations';
import { responseError } from '../../testUtils/fixtures';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import {
  ConversationDetailPage,
  qualityFigures,
} from './ConversationDetailPage';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

const DENY = 'DENY' as any; // AuthorizeResult.DENY: a standard user

beforeEach(stubMediaAndCanvas);
afterEach(() => jest.restoreAllMocks());

function renderPage(api: Record<string, jest.Mock>) {
  return renderInTestApp(<ConversationDetailPage />, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, { ...playerApiMocks(), ...api }],
      mockApis.permission({ authorize: DENY }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/conversations/:id',
    initialRouteEntries: ['/voice-recording/conversations/c1'],
  });
}

// usePermission caches decisions per permission across renders of one test file,
// so the admin view is tested in ConversationDetailPage.admin.test.tsx.
describe('ConversationDetailPage (standard user)', () => {
  it('shows the call, participants, DTMF, quality and the player, without admin actions', async () => {
    const getConversation = jest.fn(async () =>
      makeConversationDetail({ qualityWarnings: ['packet-loss'] }),
    );
    const downloadConversation = jest.fn();
    const getAccessHistory = jest.fn(async () => ({ items: [] }));
    renderPage({ getConversation, downloadConversation, getAccessHistory });

    expect(
      await screen.findByTestId('conversation-title', {}, { timeout: 5000 }),
    ).toHaveTextContent('+32470123456 → +32471234567');
    expect(getConversation).toHaveBeenCalledWith('c1');
    expect(screen.getByTestId('player')).toBeInTheDocument();
    expect(screen.getAllByTestId('quality-warning').length).toBeGreaterThan(0);
    const participants = screen.getByTestId('participants');
    expect(within(participants).getByText('Bob')).toBeInTheDocument();
    expect(screen.getByTestId('dtmf-list')).toHaveTextContent('5 at 0:25');
    expect(screen.getByTestId('dtmf-list')).toHaveTextContent('# at 1:02');
    expect(screen.getByTestId('quality-figures')).toHaveTextContent(
      'Packet loss1.00 %',
    );
    expect(
      await screen.findByTestId('waveform-label-recorded'),
    ).toHaveTextContent('Recorded user: +32470123456 (Bob)');

    expect(screen.queryByRole('button', { name: 'Download MP3' })).toBeNull();
    expect(screen.queryByTestId('access-history')).toBeNull();
    expect(getAccessHistory).not.toHaveBeenCalled();
  });

  it('shows who was on the call when, and why the recording was stopped', async () => {
    const getConversation = jest.fn(async () =>
      makeConversationDetail({
        endedBy: 'policy',
        otherParty: '112',
        participantHistory: [
          {
            aor: 'sip:+32470123456@pbx',
            number: '+32470123456',
            recorded: true,
            from: '2025-06-02T08:00:00.000Z',
          },
          {
            aor: 'sip:ASBCE@sbc',
            from: '2025-06-02T08:00:00.000Z',
            to: '2025-06-02T08:00:05.000Z',
          },
          {
            aor: 'sip:+32471234567@carrier',
            number: '+32471234567',
            name: '=HYPERLINK("x")',
            from: '2025-06-02T08:00:05.000Z',
          },
          { aor: 'tel:112', number: '112', from: '2025-06-02T08:01:00.000Z' },
        ],
        recordingStopped: {
          at: '2025-06-02T08:01:00.000Z',
          reason: 'emergency-number',
          message: 'emergency number 112 joined the call',
        },
      }),
    );
    renderPage({
      getConversation,
      getAccessHistory: jest.fn(async () => ({ items: [] })),
    });
    const history = await screen.findByTestId(
      'participant-history',
      {},
      { timeout: 5000 },
    );
    const rows = within(history).getAllByRole('row').slice(1);
    expect(rows.map(r => r.textContent)).toEqual([
      expect.stringMatching(/^\+32470123456Recorded user.*end of the call$/),
      expect.stringMatching(/^sip:ASBCE@sbcOther party/),
      expect.stringMatching(
        /^\+32471234567 \(=HYPERLINK\("x"\)\)Other party.*end of the call$/,
      ),
      expect.stringMatching(/^112Other party/),
    ]);
    expect(rows[1].textContent).not.toMatch(/end of the call/);
    expect(
      screen.getByText(/emergency number 112 joined the call/),
    ).toBeInTheDocument();
  });

  it('says the conversation is not visible on 404', async () => {
    renderPage({
      getConversation: jest.fn(async () => {
        throw await responseError(404, 'NotFoundError', 'not found');
      }),
    });
    expect(
      await screen.findByTestId(
        'conversation-not-visible',
        {},
        { timeout: 5000 },
      ),
    ).toHaveTextContent('c1 is not a conversation you can see');
    expect(screen.queryByTestId('player')).toBeNull();
  });
});

describe('qualityFigures', () => {
  it('lists known figures in order, the loss rate, then extra scalar fields', () => {
    expect(
      qualityFigures({
        packetsLost: 5,
        packetsReceived: 95,
        oneSided: true,
        mosEstimate: 3.9,
        nested: { a: 1 },
      }),
    ).toEqual([
      ['Packets received', '95'],
      ['Packets lost', '5'],
      ['One-sided media', 'yes'],
      ['Packet loss', '5.00 %'],
      ['mosEstimate', '3.9'],
    ]);
    expect(qualityFigures(undefined)).toEqual([]);
  });
});
