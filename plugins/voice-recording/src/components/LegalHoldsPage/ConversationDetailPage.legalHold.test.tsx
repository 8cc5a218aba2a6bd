import { configure, screen, waitFor, within } from '@testing-library/react';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../routes';
import { makeConversationDetail } from '../../testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from '../../testUtils/media';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { ConversationDetailPage } from '../ConversationDetailPage/ConversationDetailPage';
import {
  CASES,
  FREE,
  labelOf,
} from '../ConversationDetailPage/__testUtils__/conversationLabels';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any;

beforeEach(() => stubMediaAndCanvas());
afterEach(() => jest.restoreAllMocks());

describe('ConversationDetailPage: a held call (admin)', () => {
  it('shows the Legal hold badge with the reference, and no way to remove the held label', async () => {
    const api = {
      ...playerApiMocks(),
      getConversation: jest.fn(async () =>
        makeConversationDetail({
          labels: [labelOf(CASES[0]), labelOf(CASES[1]), FREE],
          // no audio: the player and the signature panel stay out of this test
          audio: {
            available: false,
            playable: false,
            formats: [],
            durationMs: 0,
          },
          legalHold: true,
          legalHolds: [
            {
              id: 'h1',
              caseId: 'case-1',
              caseTitle: 'Case 1 title',
              reference: 'HC-17',
              state: 'active',
            },
          ],
        } as any),
      ),
      listCases: jest.fn(async () => ({ items: CASES })),
      addConversationLabel: jest.fn(),
      removeConversationLabel: jest.fn(),
      getAccessHistory: jest.fn(async () => ({ items: [] })),
    };
    renderInTestApp(<ConversationDetailPage />, {
      apis: [
        ...catalogApis(),
        [voiceRecordingApiRef, api],
        mockApis.permission({ authorize: ALLOW }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
      mountPath: '/voice-recording/conversations/:id',
      initialRouteEntries: ['/voice-recording/conversations/c1'],
    });
    expect(await screen.findByTestId('legal-hold-badge')).toHaveTextContent(
      'Legal hold HC-17',
    );
    // case 2 is not held: its label can be removed; case 1's cannot
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Remove from case Case 2 title' }),
      ).toBeVisible(),
    );
    expect(
      screen.queryByRole('button', { name: 'Remove from case Case 1 title' }),
    ).toBeNull();
    expect(
      within(screen.getByTestId('conversation-labels')).getByTestId(
        'label-held-label-1',
      ),
    ).toHaveTextContent('Under legal hold: the label cannot be removed');
  });
});
