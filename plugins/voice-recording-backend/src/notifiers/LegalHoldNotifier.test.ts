import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { LegalHold } from '@mvr/plugin-voice-recording-common';
import { AuditRecord, AuditRecorder } from '../service/AuditRecorder';
import { LegalHoldNotifier } from './LegalHoldNotifier';

const user = (name: string, displayName: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName } },
});

const hold = (more: Partial<LegalHold> = {}): LegalHold => ({
  id: '7d0c2a3e-0000-4000-8000-000000000001',
  caseId: 'c1',
  // hostile text from the case and the hold: a line break, a bidi override
  caseTitle: 'Client\nY \u202eevil\u202c',
  labelId: 'l1',
  reason: 'Court order',
  reference: 'HC-17',
  state: 'active',
  placedBy: 'user:default/alice',
  placedAt: '2026-12-06T07:00:00.000Z',
  ...more,
});

describe('LegalHoldNotifier', () => {
  const sent: NotificationSendOptions[] = [];
  const audited: AuditRecord[] = [];
  let fail = false;
  const notifications: NotificationService = {
    send: async n => {
      if (fail) throw new Error('notifications backend down');
      sent.push(n);
    },
  };
  const audit = {
    record: async (e: AuditRecord) => {
      audited.push(e);
    },
  } as unknown as AuditRecorder;
  const notifier = new LegalHoldNotifier(
    notifications,
    catalogServiceMock({
      entities: [user('alice', 'Alice Martin'), user('fiona', 'Fiona Jacobs')],
    }),
    ['group:default/compliance'],
    mockServices.logger.mock(),
    audit,
  );

  beforeEach(() => {
    sent.length = 0;
    audited.length = 0;
    fail = false;
  });

  it('tells the admins of each step as one line of plain text, people by display name', async () => {
    await notifier.notify(
      hold({
        state: 'released',
        releaseRequestedBy: 'user:default/alice',
        releaseReason: 'Settled',
        releasedBy: 'user:default/fiona',
      }),
      'released',
      'user:default/fiona',
      mockCredentials.user('user:default/fiona'),
    );
    expect(sent).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: ['group:default/compliance'],
        },
        payload: expect.objectContaining({
          title: 'Legal hold on "Client Y evil" released (HC-17)',
          description:
            'Fiona Jacobs approved the release requested by Alice Martin: its conversations are no longer held.',
          link: '/voice-recording/compliance/legal-holds?hold=7d0c2a3e-0000-4000-8000-000000000001',
          topic: 'voice-recording-legal-hold',
        }),
      },
    ]);
    expect(JSON.stringify(sent)).not.toContain('user:default/');
    expect(audited).toEqual([
      expect.objectContaining({
        action: 'legal-hold-notification',
        targetId: '7d0c2a3e-0000-4000-8000-000000000001',
        details: {
          event: 'released',
          recipients: ['group:default/compliance'],
        },
      }),
    ]);
  });

  it('keeps the step when the notification fails: logged and audited as failed, not thrown', async () => {
    fail = true;
    await expect(
      notifier.notify(
        hold(),
        'placed',
        'user:default/alice',
        mockCredentials.user('user:default/alice'),
      ),
    ).resolves.toBeUndefined();
    expect(sent).toEqual([]);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      action: 'legal-hold-notification',
      details: { event: 'placed' },
    });
    expect(audited[0].error?.message).toBe('notifications backend down');
  });
});
