import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import type { Case, Label } from '@mvr/plugin-voice-recording-common';
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

// the shared test machine is slow: async queries wait up to 5 s
configure({ asyncUtilTimeout: 5000 });
const AT = '2026-12-01T09:00:00Z';
const CASE_LABEL: Label = {
  id: '11111111-1111-4111-8111-111111111111',
  title: 'Client X',
  colour: '#000080',
  caseId: '22222222-2222-4222-8222-222222222222',
  createdAt: AT,
  updatedAt: AT,
};
const FREE_LABEL: Label = {
  id: '33333333-3333-4333-8333-333333333333',
  title: 'Training',
  colour: '#ffeb3b',
  createdAt: AT,
  updatedAt: AT,
};
const CASE: Case = {
  id: CASE_LABEL.caseId!,
  title: 'Client X complaint',
  description: '',
  status: 'open',
  ownerRef: 'user:default/alice',
  label: { id: CASE_LABEL.id, title: 'Client X', colour: '#000080' },
  access: {
    list: { mode: 'none', refs: [] },
    playback: { mode: 'none', refs: [] },
    label: { mode: 'owner', refs: [] },
  },
  createdAt: AT,
  updatedAt: AT,
};

function renderPage(listConversations: jest.Mock, query = '') {
  const api = {
    listConversations,
    exportConversations: jest.fn(),
    listLabels: jest.fn(async () => ({ items: [CASE_LABEL, FREE_LABEL] })),
    listCases: jest.fn(async () => ({ items: [CASE] })),
  };
  renderInTestApp(<ConversationsPage />, {
    apis: [
      [catalogApiRef, catalogApiMock({ entities: [] })],
      [voiceRecordingApiRef, api],
      mockApis.permission({ authorize: 'DENY' as any }),
    ],
    mountedRoutes: {
      '/catalog/:namespace/:kind/:name': entityRouteRef,
      '/voice-recording': rootRouteRef,
    },
    mountPath: '/voice-recording/conversations',
    initialRouteEntries: [
      `/voice-recording/conversations${query ? `?${query}` : ''}`,
    ],
  });
  return api;
}

describe('labels and cases in the conversation list', () => {
  it('keeps the label and case filters in the URL and sends them to the API', () => {
    const values = {
      ...EMPTY_SEARCH,
      label: FREE_LABEL.id,
      case: CASE.id,
    };
    const params = searchValuesToParams(values);
    expect(params.get('label')).toBe(FREE_LABEL.id);
    expect(params.get('case')).toBe(CASE.id);
    expect(searchValuesFromParams(params)).toEqual(values);
    expect(searchValuesToFilters(values)).toEqual({
      label: FREE_LABEL.id,
      case: CASE.id,
    });
    expect(searchValuesToParams(EMPTY_SEARCH).has('label')).toBe(false);
  });

  it("shows each call's labels as coloured chips in its row", async () => {
    const listConversations = jest.fn(async () => ({
      items: [
        makeConversationSummary({
          id: 'c1',
          labels: [
            {
              id: CASE_LABEL.id,
              title: 'Client X',
              colour: '#000080',
              caseId: CASE.id,
            },
            { id: FREE_LABEL.id, title: 'Training', colour: '#ffeb3b' },
          ],
        }),
        makeConversationSummary({ id: 'c2' }),
      ],
      total: 2,
    }));
    renderPage(listConversations);
    const row = await screen.findByTestId(
      'conversation-row-c1',
      {},
      { timeout: 5000 },
    );
    const chips = within(row).getAllByTestId('label-chip');
    expect(chips.map(c => c.textContent)).toEqual(['Client X', 'Training']);
    // a case's chip names its case (once the cases are loaded)
    await waitFor(() =>
      expect(chips[0]).toHaveAttribute(
        'title',
        'Client X (case Client X complaint)',
      ),
    );
    expect(chips[1]).toHaveAttribute('title', 'Training');
    expect(chips.map(c => c.getAttribute('data-colour'))).toEqual([
      '#000080',
      '#ffeb3b',
    ]);
    expect(
      screen.getByRole('columnheader', { name: 'Labels' }),
    ).toBeInTheDocument();
    expect(
      within(screen.getByTestId('conversation-row-c2')).queryByTestId(
        'label-chip',
      ),
    ).toBeNull();
  });

  it('restores the label and case filters from the URL, and a new choice searches with it', async () => {
    const listConversations = jest.fn(async () => ({
      items: [makeConversationSummary({ id: 'c1' })],
      total: 1,
    }));
    renderPage(listConversations, `case=${CASE.id}`);
    await screen.findByTestId('conversation-row-c1', {}, { timeout: 5000 });
    expect(listConversations).toHaveBeenCalledWith(
      expect.objectContaining({ case: CASE.id }),
    );
    // the fields show once the labels and cases are loaded, the URL's case chosen
    const caseField = await screen.findByRole('button', { name: /Case$/ });
    expect(caseField).toHaveTextContent('Client X complaint');
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Label$/ }));
    await user.click(await screen.findByRole('option', { name: 'Training' }));
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() =>
      expect(listConversations).toHaveBeenLastCalledWith(
        expect.objectContaining({ case: CASE.id, label: FREE_LABEL.id }),
      ),
    );
    // back to any case
    await user.click(screen.getByRole('button', { name: /Case$/ }));
    await user.click(await screen.findByRole('option', { name: 'Any' }));
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => {
      const last = (listConversations.mock.calls.at(-1) as any[])[0];
      expect(last.label).toBe(FREE_LABEL.id);
      expect(last).not.toHaveProperty('case');
    });
  });
});
