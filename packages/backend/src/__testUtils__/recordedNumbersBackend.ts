/*
 * A test backend with recorded numbers in the catalog: the real catalog backend, the
 * real permission backend with the policy under test, the real voice-recording
 * backend and the real catalog module (its entity provider and processor), on the
 * given database. The numbers are created through the voice-recording API and reach
 * the catalog through the provider; the demo organisation and the product's System
 * come from the repository's catalog files. A test capture source records
 * conversations of the numbers through the capture contract a recorder uses.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  BackendFeature,
  coreServices,
  createBackendModule,
  createServiceFactory,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { notificationService } from '@backstage/plugin-notifications-node';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import catalogModuleVoiceRecording from '@mvr/plugin-catalog-backend-module-voice-recording';
import voiceRecordingPlugin from '@mvr/plugin-voice-recording-backend';
import {
  CaptureContext,
  voiceRecordingCaptureExtensionPoint,
} from '@mvr/plugin-voice-recording-node';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** The knex of a test database. */
type Knex = Awaited<ReturnType<TestDatabases['init']>>;

export const ALICE = 'user:default/alice'; // compliance: voice-recording admin
export const BOB = 'user:default/bob';
export const CAROL = 'user:default/carol';
export const DAVE = 'user:default/dave';
/** Member of group:default/platform: no user of examples/org.yaml is. */
export const ERIN = 'user:default/erin';

/** Group memberships of examples/org.yaml (and erin), as the sign-in would put them in the token. */
export const MEMBERSHIPS: Record<string, string[]> = {
  [ALICE]: ['group:default/compliance'],
  [BOB]: ['group:default/trading'],
  [CAROL]: ['group:default/trading'],
  [DAVE]: ['group:default/observers'],
  [ERIN]: ['group:default/platform'],
};

export const NUMBERS = [
  { number: '+32471234567', userRef: CAROL },
  { number: '+32470123456', userRef: BOB },
  { number: '+32474567890', userRef: BOB },
  { number: '+32472345678', userRef: ALICE },
  { number: '+32473456789', userRef: DAVE },
];
export const digitsOf = (n: string) => n.replace(/\D/g, '');

/** The ownership refs of a user principal (what the auth backend puts in its token). */
const userInfoFactory = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials) {
      const principal = credentials.principal as {
        type: string;
        userEntityRef?: string;
      };
      if (principal.type !== 'user' || !principal.userEntityRef) {
        throw new NotAllowedError('not a user principal');
      }
      const ref = principal.userEntityRef;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...(MEMBERSHIPS[ref] ?? [])],
      };
    },
  }),
});

/**
 * The mock auth service, except that a plugin calling another on behalf of a user
 * sends a user token naming itself as the actor, as Backstage's real on-behalf-of
 * tokens do: the permission backend refuses conditional decisions for resource
 * permissions to a user calling it directly, and the mock's on-behalf-of service
 * token loses the actor.
 */
const authFactory = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const auth = mockServices.auth({ pluginId: plugin.getId() });
    const issue = auth.getPluginRequestToken.bind(auth);
    auth.getPluginRequestToken = async options => {
      const principal = options.onBehalfOf.principal as {
        type: string;
        userEntityRef?: string;
      };
      if (principal.type === 'user' && principal.userEntityRef) {
        return {
          token: mockCredentials.user.token(principal.userEntityRef, {
            actor: { subject: `plugin:${plugin.getId()}` },
          }),
        };
      }
      return issue(options);
    };
    return auth;
  },
});

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise(r => setTimeout(r, 250));
  }
}

export interface CallResult {
  status: number;
  text: string;
  json: any;
}

export interface RecordedNumbersBackend {
  /** Calls the backend as a user (a user token of `as`). */
  call(
    as: string,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<CallResult>;
  /** `GET /api/catalog<url>`, or `POST` with a body. */
  catalog(as: string, url: string, body?: unknown): Promise<CallResult>;
  /** The numbers' ids in the voice-recording backend. */
  ids: Map<string, string>;
  /** Entity name: `mobile-` + the number's id (not its digits). */
  nameOf(number: string): string;
  refOf(number: string): string;
  /** What the test capture source was given: records conversations as a recorder does. */
  capture: CaptureContext;
  stop(): Promise<void>;
}

/**
 * Starts the backend with the given permission policy (a module of the permission
 * plugin), creates {@link NUMBERS} and waits until the catalog has settled with them.
 */
export async function startRecordedNumbersBackend(options: {
  knex: Knex;
  /** The permission policy: the suite's module, or a portal's own policy module. */
  policy: BackendFeature;
  /** More `voiceRecording` configuration. */
  voiceRecording?: Record<string, unknown>;
}): Promise<RecordedNumbersBackend> {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-catalog-policy-'));
  // the catalog plugin's scheduler, to run the provider's refresh when asked
  let scheduler: SchedulerService | undefined;
  const schedulerHandle = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-scheduler-handle',
    register(reg) {
      reg.registerInit({
        deps: { catalogScheduler: coreServices.scheduler },
        async init({ catalogScheduler }) {
          scheduler = catalogScheduler;
        },
      });
    },
  });
  let capture: CaptureContext | undefined;
  const testCapture = createBackendModule({
    pluginId: 'voice-recording',
    moduleId: 'test-capture',
    register(reg) {
      reg.registerInit({
        deps: { sources: voiceRecordingCaptureExtensionPoint },
        async init({ sources }) {
          sources.addCaptureSource({
            id: 'test',
            async start(ctx) {
              capture = ctx;
            },
            async stop() {},
          });
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleVoiceRecording,
      permissionPlugin,
      options.policy,
      voiceRecordingPlugin,
      testCapture,
      mockServices.database.factory({ knex: options.knex }),
      schedulerHandle,
      mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
      userInfoFactory,
      authFactory,
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({ send: async () => {} }),
      }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:7007' },
          permission: { enabled: true },
          catalog: {
            rules: [{ allow: ['Component', 'System', 'API', 'Resource'] }],
            locations: [
              {
                type: 'file',
                target: path.join(REPO_ROOT, 'examples/org.yaml'),
                rules: [{ allow: ['User', 'Group'] }],
              },
              {
                type: 'file',
                target: path.join(REPO_ROOT, 'catalog-info.yaml'),
              },
            ],
          },
          voiceRecording: {
            adminGroups: ['group:default/compliance'],
            defaultCountry: 'BE',
            defaultTimeZone: 'Europe/Brussels',
            storage: { local: { directory: storage } },
            ...options.voiceRecording,
          },
        },
      }),
    ] as any,
  });
  const base = `http://localhost:${backend.server.port()}`;
  const stop = async () => {
    await backend.stop();
    fs.rmSync(storage, { recursive: true, force: true });
  };

  const call: RecordedNumbersBackend['call'] = async (
    as,
    method,
    url,
    body,
  ) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: {
        authorization: mockCredentials.user.header(as),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  };
  const catalog: RecordedNumbersBackend['catalog'] = (as, url, body) =>
    call(as, body === undefined ? 'GET' : 'POST', `/api/catalog${url}`, body);
  const ids = new Map<string, string>();
  const nameOf = (n: string) => `mobile-${ids.get(n)}`;
  const refOf = (n: string) => `recordednumber:default/${nameOf(n)}`;

  try {
    // the numbers' users must be in the catalog before the numbers are created
    await waitFor('the demo users in the catalog', async () => {
      const res = await catalog(ALICE, '/entities/by-refs', {
        entityRefs: [ALICE, BOB, CAROL, DAVE],
      });
      return res.json?.items?.every((e: unknown) => e) ? true : undefined;
    });
    for (const n of NUMBERS) {
      const res = await call(ALICE, 'POST', '/api/voice-recording/numbers', n);
      if (res.status !== 201) {
        throw new Error(
          `POST /numbers ${n.number} answered ${res.status}: ${res.text}`,
        );
      }
      ids.set(n.number, res.json.id);
    }
    await scheduler!.triggerTask('voice-recording-numbers:refresh');

    // every number is in the catalog with its owner, and the catalog has settled
    // (processing and stitching done: three identical full reads in a row)
    await waitFor('the recorded numbers in the catalog', async () => {
      const res = await catalog(ALICE, '/entities/by-refs', {
        entityRefs: NUMBERS.map(n => refOf(n.number)),
      });
      const ok = res.json?.items?.every((e: any) =>
        e?.relations?.some((r: any) => r.type === 'ownedBy'),
      );
      return ok ? true : undefined;
    });
    let previous = '';
    let same = 0;
    await waitFor('the catalog to settle', async () => {
      const res = await catalog(ALICE, '/entities');
      same = res.text === previous ? same + 1 : 0;
      previous = res.text;
      await new Promise(r => setTimeout(r, 500));
      return same >= 2 ? true : undefined;
    });
    if (!capture) {
      throw new Error('the test capture source was not started');
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { call, catalog, ids, nameOf, refOf, capture: capture!, stop };
}
