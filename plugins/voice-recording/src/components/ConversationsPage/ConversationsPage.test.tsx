import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationSummary } from '../../testUtils/conversations';
import { ConversationsPage, totalLabel } from './ConversationsPage';
import {
  FIRST_PAGE,
  currentCursor,
  pageIndex,
  popCursor,
  pushCursor,
} from './cursorStack';
import { EMPTY_SEARCH, searchValuesToFilters } from './ConversationSearchForm';
import { nextSort } from './ConversationsTable';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';

const DENY = 'DENY' as any; // AuthorizeResult.DENY: a standard user

describe('cursor stack', () => {
  it('pushes next cursors, pops back, never below the first page', () => {
    let s = FIRST_PAGE;
    expect(currentCursor(s)).toBeUndefined();
    s = pushCursor(s, 'a');
    s = pushCursor(s, 'b');
    expect(currentCursor(s)).toBe('b');
    expect(pageIndex(s)).toBe(2);
    s = popCursor(s);
    expect(currentCursor(s)).toBe('a');
    s = popCursor(popCursor(popCursor(s)));
    expect(s).toEqual([undefined]);
  });
});

describe('searchValuesToFilters', () => {
  it('keeps filled fields, trims, converts durations and local times', () => {
    const filters = searchValuesToFilters({
      ...EMPTY_SEARCH,
      phone: ' 0471 23 ',
      direction: 'incoming',
      minDuration: '30',
      maxDuration: '600',
      from: '2026-11-25T10:30',
    });
    expect(filters).toEqual({
      phone: '0471 23',
      direction: 'incoming',
      minDuration: 30,
      maxDuration: 600,
      from: new Date(2026, 10, 25, 10, 30).toISOString(),
    });
  });

  it('names the field that is wrong', () => {
    expect(() =>
      searchValuesToFilters({ ...EMPTY_SEARCH, minDuration: '-3' }),
    ).toThrow('Min duration');
    expect(() =>
      searchValuesToFilters({
        ...EMPTY_SEARCH,
        minDuration: '60',
        maxDuration: '10',
      }),
    ).toThrow('Min duration: must not exceed Max duration');
    expect(() =>
      searchValuesToFilters({
        ...EMPTY_SEARCH,
        from: '2026-11-26T00:00',
        to: '2026-11-25T00:00',
      }),
    ).toThrow('From: must be before To');
  });
});

describe('nextSort', () => {
  it('toggles the order on the same column and picks a default on another', () => {
    expect(nextSort({ sort: 'startedAt', order: 'desc' }, 'startedAt')).toEqual(
      { sort: 'startedAt', order: 'asc' },
    );
    expect(nextSort({ sort: 'startedAt', order: 'desc' }, 'number')).toEqual({
      sort: 'number',
      order: 'asc',
    });
    expect(nextSort({ sort: 'number', order: 'asc' }, 'durationMs')).toEqual({
      sort: 'durationMs',
      order: 'desc',
    });
  });
});

function renderPage(listConversations: jest.Mock) {
  return renderInTestApp(<ConversationsPage />, {
    apis: [
      ...catalogApis(),
      [
        voiceRecordingApiRef,
        { listConversations, exportConversations: jest.fn() },
      ],
      mockApis.permission({ authorize: DENY }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/conversations',
    initialRouteEntries: ['/voice-recording/conversations'],
  });
}

describe('totalLabel', () => {
  it('says the exact count, or "more than" when the server capped it', () => {
    expect(totalLabel(1)).toBe('1 conversation');
    expect(totalLabel(0)).toBe('0 conversations');
    expect(totalLabel(42, false)).toBe('42 conversations');
    expect(totalLabel(10000, true)).toBe('More than 10,000 conversations');
  });
});

describe('ConversationsPage', () => {
  it('pages forward and back with the cursor stack, and resets it on search', async () => {
    const pages: Record<string, any> = {
      first: {
        items: [makeConversationSummary({ id: 'c1' })],
        total: 3,
        nextCursor: 'p2',
      },
      p2: {
        items: [
          makeConversationSummary({
            id: 'c2',
            qualityWarnings: ['packet-loss'],
          }),
        ],
        total: 3,
        nextCursor: 'p3',
      },
      p3: { items: [makeConversationSummary({ id: 'c3' })], total: 3 },
    };
    const listConversations = jest.fn(
      async (q: { cursor?: string }) => pages[q.cursor ?? 'first'],
    );
    renderPage(listConversations);

    expect(
      await screen.findByTestId('conversation-row-c1', {}, { timeout: 5000 }),
    ).toHaveTextContent('+32470123456 (Bob)');
    expect(screen.getByTestId('conversations-total')).toHaveTextContent(
      '3 conversations',
    );
    // Standard user: no export.
    expect(
      screen.queryByRole('button', { name: 'Export selection (ZIP)' }),
    ).toBeNull();
    expect(
      screen.getByRole('button', { name: 'Previous page' }),
    ).toBeDisabled();

    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    const row2 = await screen.findByTestId('conversation-row-c2');
    expect(within(row2).getByTestId('quality-warning')).toHaveAttribute(
      'aria-label',
      'Quality warnings: Packets were lost',
    );
    expect(screen.getByTestId('conversations-total')).toHaveTextContent(
      'showing 51–51',
    );

    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByTestId('conversation-row-c3');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();

    fireEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    await screen.findByTestId('conversation-row-c2');
    expect(listConversations.mock.calls.map(c => c[0].cursor)).toEqual([
      undefined,
      'p2',
      'p3',
      'p2',
    ]);

    // A new search starts again from the first page, with the filters.
    fireEvent.change(screen.getByLabelText('Phone number'), {
      target: { value: '0471 23' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByTestId('conversation-row-c1');
    expect(listConversations).toHaveBeenLastCalledWith({
      phone: '0471 23',
      sort: 'startedAt',
      order: 'desc',
      limit: 50,
      cursor: undefined,
    });
    expect(screen.getByTestId('conversations-page')).toHaveTextContent(
      'Page 1',
    );

    // Sorting by another column also starts from the first page.
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByTestId('conversation-row-c2');
    fireEvent.click(screen.getByTestId('sort-otherParty'));
    await waitFor(() =>
      expect(listConversations).toHaveBeenLastCalledWith(
        expect.objectContaining({
          sort: 'otherParty',
          order: 'asc',
          cursor: undefined,
        }),
      ),
    );
  });

  it('shows a wrong filter without searching', async () => {
    const listConversations = jest.fn(async () => ({ items: [], total: 0 }));
    renderPage(listConversations);
    await screen.findByText('No conversations match.', {}, { timeout: 5000 });
    fireEvent.change(screen.getByLabelText('Min duration (s)'), {
      target: { value: '60' },
    });
    fireEvent.change(screen.getByLabelText('Max duration (s)'), {
      target: { value: '5' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      'Min duration: must not exceed Max duration',
    );
    expect(listConversations).toHaveBeenCalledTimes(1);
  });
});
