import { screen } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationDetail } from '../../testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { formatDateTime } from '../ConversationsPage/format';
import { ConversationDetailPage } from './ConversationDetailPage';

beforeEach(stubMediaAndCanvas);
afterEach(() => jest.restoreAllMocks());

function renderPage(detail: ReturnType<typeof makeConversationDetail>) {
  return renderInTestApp(<ConversationDetailPage />, {
    apis: [
      ...catalogApis(),
      [
        voiceRecordingApiRef,
        {
          ...playerApiMocks(),
          getConversation: jest.fn(async () => detail),
          getAccessHistory: jest.fn(async () => ({ items: [] })),
          getConversationSignatures: jest.fn(async () => ({ items: [] })),
        } as any,
      ],
      mockApis.permission({ authorize: 'DENY' as any }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    mountPath: '/voice-recording/conversations/:id',
    initialRouteEntries: ['/voice-recording/conversations/c1'],
  });
}

describe('ConversationDetailPage: retention', () => {
  it('shows until when the call is kept, and that a legal hold keeps it longer', async () => {
    renderPage(
      makeConversationDetail({
        retentionUntil: '2031-11-25T10:32:00.000Z',
        legalHold: true,
      } as any),
    );
    expect(
      await screen.findByTestId('retention-until', {}, { timeout: 5000 }),
    ).toHaveTextContent(
      `${formatDateTime(
        '2031-11-25T10:32:00.000Z',
      )} (then kept while a legal hold stands)`,
    );
  });

  it('says nothing of retention while a call has none (recording)', async () => {
    renderPage(makeConversationDetail({}));
    await screen.findByTestId('conversation-title', {}, { timeout: 5000 });
    expect(screen.queryByTestId('retention-until')).toBeNull();
  });
});
