import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { FourEyesSession } from '@mvr/plugin-voice-recording-common';
import { AuditRecord, AuditRecorder } from '../service/AuditRecorder';
import { NAME_MAX_CHARS } from './auditedNotification';
import { FourEyesNotifier } from './FourEyesNotifier';

const user = (name: string, displayName?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: displayName === undefined ? {} : { displayName } },
});

const session = (
  userRef: string,
  more: Partial<FourEyesSession> = {},
): FourEyesSession => ({
  id: '6f1c2a3e-0000-4000-8000-000000000001',
  userRef,
  observerRef: 'group:default/observers',
  state: 'pending',
  requestedAt: '2026-12-06T04:00:00.000Z',
  ...more,
});

describe('FourEyesNotifier', () => {
  const sent: NotificationSendOptions[] = [];
  const audited: AuditRecord[] = [];
  const notifications: NotificationService = {
    send: async n => {
      sent.push(n);
    },
  };
  const audit = {
    record: async (e: AuditRecord) => {
      audited.push(e);
    },
  } as unknown as AuditRecorder;
  const catalog = catalogServiceMock({
    entities: [
      user('erik', 'Erik Sørensen'),
      user('olga', 'Olga Ivanova'),
      // a hostile display name: a line break, a bidi override, markup
      user('mallory', 'Mal\nlory \u202eevil\u202c <b>&amp;</b>'),
      user('long', 'L'.repeat(200)),
      user('anon'), // no display name
    ],
  });
  const notifier = new FourEyesNotifier(
    notifications,
    catalog,
    mockServices.logger.mock(),
    audit,
  );
  const credentials = mockCredentials.user('user:default/erik');

  beforeEach(() => {
    sent.length = 0;
    audited.length = 0;
  });

  it("names the asking user by their catalog display name in the observer's notification", async () => {
    await notifier.asked(session('user:default/erik'), credentials);
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: 'group:default/observers' },
        payload: expect.objectContaining({
          title: 'Erik Sørensen asks you to confirm their access to recordings',
          link: '/voice-recording/four-eyes?session=6f1c2a3e-0000-4000-8000-000000000001',
          severity: 'high',
        }),
      },
    ]);
    expect(JSON.stringify(sent)).not.toContain('user:default/erik');
    expect(audited).toEqual([
      expect.objectContaining({
        action: 'four-eyes-notification',
        details: { event: 'asked', recipients: ['group:default/observers'] },
      }),
    ]);
  });

  it('falls back to the name part of the ref when the catalog has no such entity or no display name', async () => {
    await notifier.asked(session('user:default/zed'), credentials);
    await notifier.asked(session('user:default/anon'), credentials);
    expect(sent.map(n => n.payload.title)).toEqual([
      'zed asks you to confirm their access to recordings',
      'anon asks you to confirm their access to recordings',
    ]);
  });

  it('writes a display name as one line of plain text: no line breaks, no bidi overrides, bounded', async () => {
    await notifier.asked(session('user:default/mallory'), credentials);
    await notifier.asked(session('user:default/long'), credentials);
    expect(sent.map(n => n.payload.title)).toEqual([
      'Mal lory evil <b>&amp;</b> asks you to confirm their access to recordings',
      `${'L'.repeat(
        NAME_MAX_CHARS - 1,
      )}… asks you to confirm their access to recordings`,
    ]);
  });

  it("names the observer who decided by their display name in the user's notification", async () => {
    await notifier.decided(
      session('user:default/erik', {
        state: 'confirmed',
        decidedBy: 'user:default/olga',
        expiresAt: '2026-12-06T04:30:00.000Z',
      }),
      mockCredentials.user('user:default/olga'),
    );
    await notifier.decided(
      session('user:default/erik', {
        state: 'rejected',
        decidedBy: 'user:default/zed',
      }),
      mockCredentials.user('user:default/zed'),
    );
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: 'user:default/erik' },
        payload: expect.objectContaining({
          title: 'Your access to recordings was confirmed',
          description:
            'Olga Ivanova confirmed your session until 2026-12-06T04:30:00.000Z.',
        }),
      },
      {
        recipients: { type: 'entity', entityRef: 'user:default/erik' },
        payload: expect.objectContaining({
          title: 'Your access to recordings was rejected',
          description: 'zed rejected your session.',
        }),
      },
    ]);
  });

  it('still notifies, by the name part of the ref, when the catalog fails', async () => {
    const failing = new FourEyesNotifier(
      notifications,
      {
        getEntityByRef: async () => {
          throw new Error('catalog unavailable');
        },
      },
      mockServices.logger.mock(),
      audit,
    );
    await failing.asked(session('user:default/erik'), credentials);
    expect(sent.map(n => n.payload.title)).toEqual([
      'erik asks you to confirm their access to recordings',
    ]);
  });
});
