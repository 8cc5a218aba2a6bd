import { fireEvent, screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { DateTime } from 'luxon';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationSummary } from '../../testUtils/conversations';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { ConversationsPage } from './ConversationsPage';

function renderPage(listConversations: jest.Mock, query = '') {
  return renderInTestApp(<ConversationsPage />, {
    apis: [
      ...catalogApis(),
      [
        voiceRecordingApiRef,
        { listConversations, exportConversations: jest.fn() },
      ],
      mockApis.permission({ authorize: 'DENY' as any }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/conversations',
    initialRouteEntries: [`/voice-recording/conversations${query}`],
  });
}

const zone = DateTime.local().zoneName;

describe('ConversationsPage time range', () => {
  it('labels call times with the viewer’s zone', async () => {
    renderPage(
      jest.fn(async () => ({ items: [makeConversationSummary()], total: 1 })),
    );
    await screen.findByTestId('conversations-total', {}, { timeout: 5000 });
    expect(screen.getByTestId('viewer-zone')).toHaveTextContent(
      `Times in your zone: ${zone}`,
    );
    // said once on the page, next to the time fields
    expect(screen.getAllByText(`Times in your zone: ${zone}`)).toHaveLength(1);
  });

  it('clears stale results on a reversed range and says so under the To field', async () => {
    const listConversations = jest.fn(async () => ({
      items: [makeConversationSummary({ id: 'c1' })],
      total: 1,
    }));
    renderPage(listConversations);
    await screen.findByTestId('conversation-row-c1', {}, { timeout: 5000 });

    fireEvent.change(screen.getByLabelText('From'), {
      target: { value: '2026-11-26T10:00' },
    });
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2026-11-25T10:00' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));

    expect(await screen.findByTestId('range-error')).toHaveTextContent(
      'From: must be before To',
    );
    expect(screen.queryByTestId('conversation-row-c1')).toBeNull();
    expect(screen.queryByTestId('conversations-total')).toBeNull();
    expect(screen.getByLabelText('To')).toHaveAttribute('aria-invalid', 'true');
    expect(listConversations).toHaveBeenCalledTimes(1);

    // a valid range searches again and shows results
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2026-11-27T10:00' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Search' }));
    await screen.findByTestId('conversation-row-c1');
    expect(screen.queryByTestId('range-error')).toBeNull();
  });

  it('shows no results for a reversed range in the URL', async () => {
    const listConversations = jest.fn(async () => ({
      items: [makeConversationSummary({ id: 'c1' })],
      total: 1,
    }));
    renderPage(
      listConversations,
      '?from=2026-11-26T10:00:00.000Z&to=2026-11-25T10:00:00.000Z',
    );
    expect(
      await screen.findByTestId('range-error', {}, { timeout: 5000 }),
    ).toHaveTextContent('From: must be before To');
    expect(screen.queryByTestId('conversation-row-c1')).toBeNull();
  });
});
