import { screen } from '@testing-library/react';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import plugin from './index';
import { voiceRecordingApiRef } from './api/VoiceRecordingApi';
import { makeNumber } from './testUtils/fixtures';
import { makeConversationDetail } from './testUtils/conversations';
import { playerApiMocks, stubMediaAndCanvas } from './testUtils/media';
import { catalogApis, catalogRoutes } from './testUtils/catalog';

describe('voice-recording plugin', () => {
  it('is the default export, with id voice-recording and its extensions', () => {
    expect(plugin.id).toBe('voice-recording');
    expect(plugin.getExtension('page:voice-recording')).toBeDefined();
    expect(plugin.getExtension('entity-content:voice-recording')).toBeDefined();
    expect(plugin.getExtension('api:voice-recording')).toBeDefined();
  });

  it('serves its page at /voice-recording and opens a number detail by URL', async () => {
    const number = makeNumber({ id: 'n7', number: '+32470777777' });
    renderTestApp({
      features: [plugin],
      initialRouteEntries: ['/voice-recording/numbers/n7'],
      apis: [
        [
          voiceRecordingApiRef,
          {
            getNumber: jest.fn(async () => number),
            listPlanningModels: jest.fn(async () => ({ items: [] })),
          },
        ],
        mockApis.permission({ authorize: 'ALLOW' as any }),
        // people are shown from the catalog, linked to its entity page
        ...catalogApis(),
      ],
      mountedRoutes: catalogRoutes,
    });
    expect(
      await screen.findByTestId('number-title', {}, { timeout: 10000 }),
    ).toHaveTextContent('+32470777777');
    expect(screen.getByTestId('week-grid')).toBeInTheDocument();
  });

  it('opens a conversation detail by URL', async () => {
    stubMediaAndCanvas();
    renderTestApp({
      features: [plugin],
      initialRouteEntries: ['/voice-recording/conversations/c9'],
      apis: [
        [
          voiceRecordingApiRef,
          {
            ...playerApiMocks(),
            getConversation: jest.fn(async () =>
              makeConversationDetail({ id: 'c9' }),
            ),
            getAccessHistory: jest.fn(async () => ({ items: [] })),
            // not flagged four-eyes: the gate shows the call page
            getFourEyesStatus: jest.fn(async () => ({
              required: false,
              access: true,
              sessionMinutes: 60,
            })),
          },
        ],
        mockApis.permission({ authorize: 'ALLOW' as any }),
        // people are shown from the catalog, linked to its entity page
        ...catalogApis(),
      ],
      mountedRoutes: catalogRoutes,
    });
    expect(
      await screen.findByTestId('conversation-title', {}, { timeout: 10000 }),
    ).toHaveTextContent('+32470123456 → +32471234567');
    expect(screen.getByRole('tab', { name: 'Conversations' })).toHaveAttribute(
      'aria-selected',
      'true',
    );
    expect(screen.getByTestId('player')).toBeInTheDocument();
    jest.restoreAllMocks();
  });
});
