import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationSummary } from '../../testUtils/conversations';
import { ConversationsPage } from './ConversationsPage';
import {
  EMPTY_SEARCH,
  searchValuesFromParams,
  searchValuesToFilters,
  searchValuesToParams,
} from './ConversationSearchForm';

function renderPage(
  listConversations: jest.Mock,
  options: {
    query?: string;
    exportConversations?: jest.Mock;
  } = {},
) {
  return renderInTestApp(<ConversationsPage />, {
    apis: [
      [catalogApiRef, catalogApiMock({ entities: [] })],
      [
        voiceRecordingApiRef,
        {
          listConversations,
          exportConversations: options.exportConversations ?? jest.fn(),
        },
      ],
      mockApis.permission({
        // an admin: may export (usePermission caches decisions across the tests of a file)
        authorize: 'ALLOW' as any,
      }),
    ],
    mountedRoutes: {
      '/catalog/:namespace/:kind/:name': entityRouteRef,
      '/voice-recording': rootRouteRef,
    },
    mountPath: '/voice-recording/conversations',
    initialRouteEntries: [
      `/voice-recording/conversations${
        options.query ? `?${options.query}` : ''
      }`,
    ],
  });
}

describe('conversation search in the URL', () => {
  it('writes the filters and sort as query parameters and reads them back', () => {
    const values = {
      ...EMPTY_SEARCH,
      user: ' Carol Dubois ',
      group: 'trading',
      direction: 'incoming' as const,
      minDuration: '10',
      maxDuration: '600',
      hasDtmf: 'true' as const,
      from: '2026-11-25T10:30',
    };
    const params = searchValuesToParams(values, {
      sort: 'durationMs',
      order: 'asc',
    });
    expect(params.get('user')).toBe('Carol Dubois');
    expect(params.get('from')).toBe(
      new Date(2026, 10, 25, 10, 30).toISOString(),
    );
    expect(params.get('sort')).toBe('durationMs');
    expect(params.has('phone')).toBe(false);
    expect(
      searchValuesFromParams(new URLSearchParams(params.toString())),
    ).toEqual({ ...values, user: 'Carol Dubois' });
    // the default sort is not written; odd values are dropped
    expect(
      searchValuesToParams(EMPTY_SEARCH, {
        sort: 'startedAt',
        order: 'desc',
      }).toString(),
    ).toBe('');
    expect(
      searchValuesFromParams(
        new URLSearchParams('direction=sideways&hasDtmf=maybe'),
      ),
    ).toEqual(EMPTY_SEARCH);
  });

  it('sends the user, group and DTMF filters to the API', () => {
    expect(
      searchValuesToFilters({
        ...EMPTY_SEARCH,
        user: 'carol',
        group: 'group:default/trading',
        hasDtmf: 'false',
      }),
    ).toEqual({
      user: 'carol',
      group: 'group:default/trading',
      hasDtmf: false,
    });
  });

  it('restores the search from the URL (a reload, a bookmark) into the form and the query', async () => {
    const listConversations = jest.fn(async () => ({
      items: [makeConversationSummary({ id: 'c1' })],
      total: 1,
    }));
    renderPage(listConversations, {
      query:
        'user=carol&group=trading&hasDtmf=true&direction=incoming&sort=durationMs&order=asc',
    });
    await screen.findByTestId('conversation-row-c1', {}, { timeout: 5000 });
    expect(listConversations).toHaveBeenCalledWith({
      user: 'carol',
      group: 'trading',
      hasDtmf: true,
      direction: 'incoming',
      sort: 'durationMs',
      order: 'asc',
      limit: 50,
      cursor: undefined,
    });
    // the people fields' text inputs (a picker also has a suggestions button)
    const input = (label: string) =>
      screen.getAllByLabelText(label).find(e => e.tagName === 'INPUT')!;
    expect(input('User')).toHaveValue('carol');
    expect(input('Group')).toHaveValue('trading');
    // a new search replaces the URL's: the form's values, the sort kept
    fireEvent.change(input('Group'), {
      target: { value: '' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() =>
      expect(listConversations).toHaveBeenLastCalledWith({
        user: 'carol',
        hasDtmf: true,
        direction: 'incoming',
        sort: 'durationMs',
        order: 'asc',
        limit: 50,
        cursor: undefined,
      }),
    );
  });

  it('exports the search with its label and case filters (the manifest names the labels)', async () => {
    (URL as any).createObjectURL = jest.fn(() => 'blob:zip');
    (URL as any).revokeObjectURL = jest.fn();
    const listConversations = jest.fn(async () => ({
      items: [makeConversationSummary({ id: 'c1' })],
      total: 1,
    }));
    const exportConversations = jest.fn(async () => ({
      blob: new Blob(['zip']),
      fileName: 'conversations.zip',
    }));
    renderPage(listConversations, {
      query: 'label=l1&case=k1&direction=incoming',
      exportConversations,
    });
    await screen.findByTestId('conversation-row-c1', {}, { timeout: 5000 });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Export selection (ZIP)' }),
    );
    await waitFor(() =>
      expect(exportConversations).toHaveBeenCalledWith({
        label: 'l1',
        case: 'k1',
        direction: 'incoming',
      }),
    );
  });

  it('exports exactly the ticked calls, across pages', async () => {
    (URL as any).createObjectURL = jest.fn(() => 'blob:zip');
    (URL as any).revokeObjectURL = jest.fn();
    const pages: Record<string, any> = {
      first: {
        items: [
          makeConversationSummary({ id: 'c1' }),
          makeConversationSummary({ id: 'c2' }),
        ],
        total: 3,
        nextCursor: 'p2',
      },
      p2: { items: [makeConversationSummary({ id: 'c3' })], total: 3 },
    };
    const listConversations = jest.fn(
      async (q: { cursor?: string }) => pages[q.cursor ?? 'first'],
    );
    const exportConversations = jest.fn(async () => ({
      blob: new Blob(['zip']),
      fileName: 'conversations.zip',
    }));
    renderPage(listConversations, { exportConversations });
    await screen.findByTestId('conversation-row-c1', {}, { timeout: 5000 });
    expect(
      await screen.findByRole('button', { name: 'Export ticked (0)' }),
    ).toBeDisabled();
    const tick = (id: string) =>
      within(screen.getByTestId(`tick-${id}`)).getByRole('checkbox');
    fireEvent.click(tick('c2'));
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByTestId('conversation-row-c3');
    expect(tick('c3')).not.toBeChecked();
    fireEvent.click(tick('c3'));
    expect(tick('c3')).toBeChecked();
    fireEvent.click(screen.getByRole('button', { name: 'Export ticked (2)' }));
    await waitFor(() =>
      expect(exportConversations).toHaveBeenCalledWith({ ids: ['c2', 'c3'] }),
    );
    // the header box unticks the page; ticking opened no call
    fireEvent.click(
      screen.getByRole('checkbox', { name: 'Tick every call of this page' }),
    );
    expect(tick('c3')).not.toBeChecked();
    expect(
      screen.getByRole('button', { name: 'Export ticked (1)' }),
    ).toBeEnabled();
    expect(screen.getByTestId('conversation-row-c3')).toBeInTheDocument();
  });
});
