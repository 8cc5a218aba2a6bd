import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  AuditorService,
  coreServices,
  createBackendModule,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import {
  NotificationService,
  notificationService,
} from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import request from 'supertest';
import { voiceRecordingPlugin } from '../../plugin';

export const ALICE = 'user:default/alice'; // admin (group compliance)
export const BOB = 'user:default/bob'; // standard user
export const ADMINS = 'group:default/compliance';

/** The catalog the notifications backend expands the admin group with. */
export const adminCatalog: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'compliance', namespace: 'default' },
    spec: { type: 'team', children: [] },
    relations: [{ type: 'hasMember', targetRef: ALICE }],
  },
  ...['alice', 'bob'].map(name => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name, namespace: 'default' },
    spec: {},
  })),
];

export interface NotificationsTestBackendOptions {
  databases: TestDatabases;
  databaseId: Parameters<TestDatabases['init']>[0];
  /** `voiceRecording` configuration besides the storage and the admin group */
  config?: Record<string, unknown>;
  /** More features (e.g. a permissions service) */
  features?: unknown[];
}

/**
 * The voice recording plugin and the real notifications backend in a test backend on a
 * real database, with adminCatalog, recordings in a temporary directory and the plugin's
 * own services (`services`: its NotificationService, of origin plugin:voice-recording,
 * auditor and logger) for the tests to build the plugin's parts with.
 */
export async function startNotificationsTestBackend(
  options: NotificationsTestBackendOptions,
) {
  const knex: Knex = await options.databases.init(options.databaseId);
  const storageDir = mkdtempSync(path.join(tmpdir(), 'vr-notify-test-'));
  let services!: {
    notifications: NotificationService;
    auditor: AuditorService;
    logger: LoggerService;
  };
  const captureModule = createBackendModule({
    pluginId: 'voice-recording',
    moduleId: 'notifications-test',
    register(reg) {
      reg.registerInit({
        deps: {
          notifications: notificationService,
          auditor: coreServices.auditor,
          logger: coreServices.logger,
        },
        async init(d) {
          services = d;
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      voiceRecordingPlugin,
      notificationsPlugin,
      captureModule,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          voiceRecording: {
            storage: { local: { directory: storageDir } },
            adminGroups: [ADMINS],
            ...options.config,
          },
        },
      }),
      catalogServiceMock.factory({ entities: adminCatalog }),
      mockServices.events.mock().factory,
      ...(options.features ?? []),
    ] as any,
  });
  const as = (who: string) => ({
    get: (url: string) =>
      request(backend.server)
        .get(url)
        .set('Authorization', mockCredentials.user.header(who)),
    post: (url: string, body: object) =>
      request(backend.server)
        .post(url)
        .set('Authorization', mockCredentials.user.header(who))
        .send(body),
  });
  return {
    knex,
    services,
    server: backend.server,
    as,
    /** The notifications of `topic` as `who` reads them, oldest first. */
    async notificationsOf(who: string, topic: string): Promise<any[]> {
      const res = await as(who).get('/api/notifications/notifications?limit=100');
      expect(res.status).toBe(200);
      return (res.body.notifications as any[])
        .filter(n => n.payload.topic === topic)
        .sort((a, b) => a.created.localeCompare(b.created));
    },
    async stop() {
      await backend.stop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export type NotificationsTestBackend = Awaited<
  ReturnType<typeof startNotificationsTestBackend>
>;
