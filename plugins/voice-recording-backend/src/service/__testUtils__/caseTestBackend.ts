import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  NotificationSendOptions,
  notificationService,
} from '@backstage/plugin-notifications-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  LocalFileBlobStore,
  OggOpusWriter,
  VoiceRecordingPolicyHandler,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import request from 'supertest';
import { voiceRecordingPlugin } from '../../plugin';

/**
 * The voice recording plugin in a test backend on a real database, for the router tests
 * of cases, access requests and four-eyes: the suite's real policy
 * (VoiceRecordingPolicyHandler) with the users' groups, a catalog, notifications kept in
 * `sent`, and recordings in a temporary directory.
 */

export const userRef = (name: string) => `user:default/${name}`;

/**
 * The suite's real policy (admins: group:default/compliance) deciding by the sign-in's
 * ownership refs, the user and their `groups` (four-eyes access decides by them too); as
 * in Backstage, service principals are allowed (the plugin restricts them).
 */
export const policyServices = (groups: Record<string, string[]>) => {
  const ownership = (user: string) => [user, ...(groups[user] ?? [])];
  const policy = new VoiceRecordingPolicyHandler({
    adminGroups: ['group:default/compliance'],
  });
  const decide = (permission: any, credentials: BackstageCredentials) => {
    if ((credentials.principal as any).type === 'service')
      return { result: AuthorizeResult.ALLOW };
    const userEntityRef = (credentials.principal as any).userEntityRef;
    return policy.handle({ permission }, {
      credentials,
      info: { userEntityRef, ownershipEntityRefs: ownership(userEntityRef) },
    } as any);
  };
  return {
    permissions: createServiceFactory({
      service: coreServices.permissions,
      deps: {},
      factory: (): PermissionsService => ({
        async authorize(requests, { credentials }) {
          return Promise.all(
            requests.map(async r => ({
              result:
                (await decide(r.permission, credentials))?.result ===
                AuthorizeResult.ALLOW
                  ? AuthorizeResult.ALLOW
                  : AuthorizeResult.DENY,
            })),
          ) as any;
        },
        async authorizeConditional(queries, { credentials }) {
          return Promise.all(
            queries.map(q => decide(q.permission, credentials)),
          ) as any;
        },
      }),
    }),
    userInfo: createServiceFactory({
      service: coreServices.userInfo,
      deps: {},
      factory: (): UserInfoService => ({
        async getUserInfo(credentials) {
          const userEntityRef = (credentials.principal as any).userEntityRef;
          return {
            userEntityRef,
            ownershipEntityRefs: ownership(userEntityRef),
          };
        },
      }),
    }),
  };
};

/** Two channels of tones (440 Hz and 660 Hz), 16-bit interleaved. */
export function tone(seconds: number, rate = 8000): Int16Array {
  const out = new Int16Array(seconds * rate * 2);
  for (let i = 0; i < seconds * rate; i++) {
    out[i * 2] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
    out[i * 2 + 1] = Math.round(
      4000 * Math.sin((2 * Math.PI * 660 * i) / rate),
    );
  }
  return out;
}

/** A finished outgoing call of user:default/zoe. */
export function finishedCall(
  startedAt: string,
  extra: Partial<Conversation> = {},
): Conversation {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    sipCallId: `test-${randomUUID()}`,
    participants: [],
    metadata: {},
    dtmf: [],
    state: 'finished',
    captureSource: 'test',
    createdAt: now,
    updatedAt: now,
    direction: 'outgoing',
    durationMs: 3_000,
    number: '+32470999000',
    userRef: userRef('zoe'),
    otherParty: '+32475111222',
    startedAt,
    ...extra,
  };
}

/** A response read whole as a Buffer (audio, zip). */
export const binary = (r: request.Test) =>
  r.buffer(true).parse((stream, cb) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => cb(null, Buffer.concat(chunks)));
  });

/** The manifest.json of an export's zip. */
export function zipManifest(zip: Buffer): any {
  const dir = mkdtempSync(path.join(tmpdir(), 'vr-test-zip-'));
  try {
    writeFileSync(path.join(dir, 'x.zip'), zip);
    return JSON.parse(
      execFileSync('unzip', ['-p', path.join(dir, 'x.zip'), 'manifest.json'], {
        encoding: 'utf8',
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CaseTestBackendOptions {
  databases: TestDatabases;
  databaseId: Parameters<TestDatabases['init']>[0];
  /** The groups of each user (default: none) */
  groups?: Record<string, string[]>;
  /** `voiceRecording` configuration besides the storage */
  config?: Record<string, unknown>;
  /** The catalog's entities (default: none) */
  entities?: Entity[];
  /** Whether the sign-in's ownership refs are the users' groups (default: the mock's) */
  userInfo?: boolean;
  /** Where the notifications sent go */
  sent: NotificationSendOptions[];
}

/**
 * Made in a describe body (its request helpers are usable in the tests); `start` in
 * `beforeAll`, `stop` in `afterAll`.
 */
export function caseTestBackend(options: CaseTestBackendOptions) {
  let app: any;
  let knex: Knex;
  let storageDir: string | undefined;
  let stopBackend: (() => Promise<void>) | undefined;

  const api = '/api/voice-recording';
  const as = (who: string) => ({
    Authorization: mockCredentials.user.header(who),
  });

  return {
    api,
    as,
    get: (who: string, url: string) =>
      request(app).get(`${api}${url}`).set(as(who)),
    post: (who: string, url: string, body: object = {}) =>
      request(app).post(`${api}${url}`).set(as(who)).send(body),
    /** The audit log's rows of an action, oldest first. */
    actions: async (action: string) =>
      knex('vr_audit_log').where({ action }).orderBy('at'),

    async start() {
      knex = await options.databases.init(options.databaseId);
      storageDir = mkdtempSync(path.join(tmpdir(), 'vr-router-test-'));
      const services = policyServices(options.groups ?? {});
      const backend = await startTestBackend({
        features: [
          voiceRecordingPlugin,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              voiceRecording: {
                storage: { local: { directory: storageDir } },
                ...options.config,
              },
            },
          }),
          services.permissions,
          ...(options.userInfo ? [services.userInfo] : []),
          catalogServiceMock.factory({ entities: options.entities ?? [] }),
          mockServices.events.mock().factory,
          createServiceFactory({
            service: notificationService,
            deps: {},
            factory: () => ({
              send: async (n: NotificationSendOptions) => {
                options.sent.push(n);
              },
            }),
          }),
        ] as any,
      });
      app = backend.server;
      stopBackend = () => backend.stop();
      return { app, knex };
    },

    /** Stores `samples` as an Ogg Opus recording; the conversation's audio fields. */
    async storeRecording(key: string, samples: Int16Array) {
      const blobs = new LocalFileBlobStore(storageDir!, { minFreeBytes: 0 });
      const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2 });
      const ogg = Buffer.concat([...writer.write(samples), ...writer.end()]);
      const stored = await blobs.put(key, ogg, {
        contentType: 'audio/ogg; codecs=opus',
      });
      return {
        storageKey: stored.key,
        sha256: stored.sha256,
        bytes: stored.size,
        format: 'audio/ogg; codecs=opus',
      };
    },

    async stop() {
      await stopBackend?.();
      if (storageDir) rmSync(storageDir, { recursive: true, force: true });
    },
  };
}
