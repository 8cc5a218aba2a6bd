import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type { ConversationQualityCheck } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import {
  makeConversationDetail,
  makeConversationSummary,
} from '../../testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { ConversationDetailPage } from '../ConversationDetailPage/ConversationDetailPage';
import { ConversationsPage } from '../ConversationsPage/ConversationsPage';
import {
  EMPTY_SEARCH,
  searchValuesFromParams,
  searchValuesToFilters,
  searchValuesToParams,
} from '../ConversationsPage/ConversationSearchForm';

// an admin: may export (usePermission caches decisions across the tests of a file)
const ALLOW = 'ALLOW' as any;

const ONE_WAY =
  'One-way audio: the other party spoke in 0.0% of the call while the recorded user spoke in 62.0% (failed under 1%)';
const LOSS = 'Packet loss 10.2% (warning from 5%)';

function check(
  overrides: Partial<ConversationQualityCheck> = {},
): ConversationQualityCheck {
  return {
    verdict: 'ok',
    reasons: [],
    channels: [
      { side: 'recorded', speechShare: 0.62, clippedShare: 0 },
      { side: 'other', speechShare: 0.55, clippedShare: 0.013 },
    ],
    packetLossShare: 0.001,
    checkedAt: '2026-11-25T10:33:00.000Z',
    ...overrides,
  };
}

const failed = makeConversationSummary({
  id: 'failed',
  qualityCheck: check({
    verdict: 'failed',
    reasons: [{ code: 'one-way', severity: 'failed', text: ONE_WAY }],
  }),
  qualityWarnings: [ONE_WAY],
});
const warning = makeConversationSummary({
  id: 'warning',
  qualityCheck: check({
    verdict: 'warning',
    packetLossShare: 0.102,
    reasons: [{ code: 'packet-loss', severity: 'warning', text: LOSS }],
  }),
  qualityWarnings: ['packet loss 10.2%'],
});
const ok = makeConversationSummary({
  id: 'ok',
  qualityCheck: check(),
  // a figure under the check's thresholds: not worth a mark once checked
  qualityWarnings: ['packet loss 1.2%'],
});
/** archived before recorders made the check: the recorder's warnings, as before */
const unchecked = makeConversationSummary({
  id: 'unchecked',
  qualityWarnings: ['packet-loss'],
});

beforeEach(stubMediaAndCanvas);
afterEach(() => jest.restoreAllMocks());

function renderList(query = '') {
  (URL as any).createObjectURL = jest.fn(() => 'blob:zip');
  (URL as any).revokeObjectURL = jest.fn();
  const listConversations = jest.fn(async () => ({
    items: [failed, warning, ok, unchecked],
    total: 4,
  }));
  const exportConversations = jest.fn(async () => ({
    blob: new Blob(['zip']),
    fileName: 'conversations.zip',
  }));
  renderInTestApp(<ConversationsPage />, {
    apis: [
      ...catalogApis(),
      [
        voiceRecordingApiRef,
        {
          listConversations,
          exportConversations,
          listLabels: jest.fn(async () => ({ items: [] })),
          listCases: jest.fn(async () => ({ items: [] })),
        },
      ],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/conversations',
    initialRouteEntries: [
      `/voice-recording/conversations${query ? `?${query}` : ''}`,
    ],
  });
  return { listConversations, exportConversations };
}

describe('quality check in the conversation list', () => {
  it('marks the calls whose verdict is warning or failed, with the reasons as their name; ok calls show nothing', async () => {
    renderList();
    const row = (id: string) => (testId: string) =>
      within(screen.getByTestId(`conversation-row-${id}`)).queryByTestId(
        testId,
      );
    await screen.findByTestId('conversation-row-failed', {}, { timeout: 5000 });

    const failedBadge = row('failed')('quality-verdict')!;
    expect(failedBadge).toHaveTextContent('Quality failed');
    expect(failedBadge).toHaveAttribute(
      'aria-label',
      `Quality failed: ${ONE_WAY}`,
    );
    const warningBadge = row('warning')('quality-verdict')!;
    expect(warningBadge).toHaveTextContent('Quality warning');
    expect(warningBadge).toHaveAttribute(
      'aria-label',
      `Quality warning: ${LOSS}`,
    );
    // the badge replaces the warning icon of checked calls
    expect(row('warning')('quality-warning')).toBeNull();
    expect(row('ok')('quality-verdict')).toBeNull();
    expect(row('ok')('quality-warning')).toBeNull();
    // a call without a check keeps the recorder's warning icon
    expect(row('unchecked')('quality-verdict')).toBeNull();
    expect(row('unchecked')('quality-warning')).toBeInTheDocument();
  });

  it('filters by verdict: the field writes the URL, the search and the export send it', async () => {
    const { listConversations, exportConversations } =
      renderList('direction=incoming');
    await screen.findByTestId('conversation-row-failed', {}, { timeout: 5000 });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Quality$/ }));
    await user.click(
      await screen.findByRole('option', { name: 'Failed quality' }),
    );
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() =>
      expect(listConversations).toHaveBeenLastCalledWith(
        expect.objectContaining({ direction: 'incoming', quality: 'failed' }),
      ),
    );
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: /Quality$/ }),
      ).toHaveTextContent('Failed quality'),
    );
    fireEvent.click(
      await screen.findByRole('button', { name: 'Export selection (ZIP)' }),
    );
    await waitFor(() =>
      expect(exportConversations).toHaveBeenCalledWith({
        direction: 'incoming',
        quality: 'failed',
      }),
    );
  });

  it('keeps the verdict in the URL and reads it back (unknown verdicts are dropped)', () => {
    const values = { ...EMPTY_SEARCH, quality: 'warning' as const };
    const params = searchValuesToParams(values);
    expect(params.toString()).toBe('quality=warning');
    expect(searchValuesFromParams(params)).toEqual(values);
    expect(searchValuesToFilters(values)).toEqual({ quality: 'warning' });
    expect(
      searchValuesFromParams(new URLSearchParams('quality=great')),
    ).toEqual(EMPTY_SEARCH);
  });

  it('restores the filter from a link (e.g. Recording health: the failed calls of a number)', async () => {
    const { listConversations } = renderList(
      'number=%2B32470123456&quality=failed',
    );
    await screen.findByTestId('conversation-row-failed', {}, { timeout: 5000 });
    expect(listConversations).toHaveBeenCalledWith(
      expect.objectContaining({ number: '+32470123456', quality: 'failed' }),
    );
    expect(screen.getByRole('button', { name: /Quality$/ })).toHaveTextContent(
      'Failed quality',
    );
  });
});

function renderCall(qualityCheck?: ConversationQualityCheck) {
  const getConversation = jest.fn(async () =>
    makeConversationDetail({ qualityCheck }),
  );
  renderInTestApp(<ConversationDetailPage />, {
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
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/conversations/:id',
    initialRouteEntries: ['/voice-recording/conversations/c1'],
  });
}

describe('quality check on the call page', () => {
  it('shows the verdict with each reason as a sentence with its figures, and the speech activity', async () => {
    renderCall(
      check({
        verdict: 'failed',
        reasons: [
          { code: 'one-way', severity: 'failed', text: ONE_WAY },
          { code: 'packet-loss', severity: 'warning', text: LOSS },
        ],
        packetLossShare: 0.102,
        longestGapMs: 2400,
      }),
    );
    const section = await screen.findByTestId(
      'quality-check',
      {},
      { timeout: 5000 },
    );
    expect(within(section).getByTestId('quality-verdict')).toHaveTextContent(
      'Quality failed',
    );
    const reasons = within(section).getAllByRole('listitem');
    expect(reasons.map(r => r.textContent)).toEqual([
      `Failed: ${ONE_WAY}`,
      `Warning: ${LOSS}`,
    ]);
    expect(within(section).getByTestId('quality-activity')).toHaveTextContent(
      'Recorded user: speech in 62.0% of the call; Other party: speech in 55.0% of the call, 1.3% of it clipped; packet loss 10.2%; longest RTP gap 2.4 s.',
    );
    // the title says it too
    expect(
      screen
        .getAllByTestId('quality-verdict')
        .map(b => b.getAttribute('data-verdict')),
    ).toEqual(['failed', 'failed']);
  });

  it('says an ok verdict plainly, and a call without a check says so', async () => {
    renderCall(check());
    const section = await screen.findByTestId(
      'quality-check',
      {},
      { timeout: 5000 },
    );
    expect(within(section).getByTestId('quality-verdict')).toHaveTextContent(
      'Quality OK',
    );
    expect(section).toHaveTextContent('No problem found');
    // only the section shows an ok verdict, not the title
    expect(screen.getAllByTestId('quality-verdict')).toHaveLength(1);
  });

  it('a call archived before the check', async () => {
    renderCall(undefined);
    expect(
      await screen.findByTestId('quality-check-none', {}, { timeout: 5000 }),
    ).toHaveTextContent('No quality check');
  });
});
