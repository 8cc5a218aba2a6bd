/*
 * Recorded numbers in the software catalog, seen by a standard user.
 *
 * The real catalog backend, the real permission backend with the suite's policy, the
 * real voice-recording backend and the real catalog module (its entity provider and
 * processor) run in one test backend on SQLite and on PostgreSQL. The numbers are
 * created through the voice-recording API and reach the catalog through the provider;
 * the demo organisation and the product's System come from the repository's
 * catalog files. Then every catalog endpoint a browser can call is asked as carol
 * (a trader with one recorded number): no answer may name, count or relate another
 * person's number, while carol, bob (the owner of two) and alice (compliance admin)
 * still see theirs.
 */
import { randomUUID } from 'node:crypto';
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
  coreServices,
  createBackendModule,
  createServiceFactory,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { NotAllowedError } from '@backstage/errors';
import { notificationService } from '@backstage/plugin-notifications-node';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import catalogModuleVoiceRecording from '@mvr/plugin-catalog-backend-module-voice-recording';
import permissionModuleVoiceRecording from '@mvr/plugin-permission-backend-module-voice-recording';
import voiceRecordingPlugin from '@mvr/plugin-voice-recording-backend';

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const REPO_ROOT = path.resolve(__dirname, '../../..');

const ALICE = 'user:default/alice'; // compliance: voice-recording admin
const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
const DAVE = 'user:default/dave';

/** Group memberships of examples/org.yaml, as the sign-in would put them in the token. */
const MEMBERSHIPS: Record<string, string[]> = {
  [ALICE]: ['group:default/compliance'],
  [BOB]: ['group:default/trading'],
  [CAROL]: ['group:default/trading'],
  [DAVE]: ['group:default/observers'],
};

const NUMBERS = [
  { number: '+32471234567', userRef: CAROL },
  { number: '+32470123456', userRef: BOB },
  { number: '+32474567890', userRef: BOB },
  { number: '+32472345678', userRef: ALICE },
  { number: '+32473456789', userRef: DAVE },
];
const digitsOf = (n: string) => n.replace(/\D/g, '');
/** The numbers' ids in the voice-recording backend, filled when they are created. */
const ids = new Map<string, string>();
/** Entity name: `mobile-` + the number's id (not its digits). */
const nameOf = (n: string) => `mobile-${ids.get(n)}`;
const refOf = (n: string) => `recordednumber:default/${nameOf(n)}`;
const CAROLS = NUMBERS.filter(n => n.userRef === CAROL);
const NOT_CAROLS = NUMBERS.filter(n => n.userRef !== CAROL);
const BOBS = NUMBERS.filter(n => n.userRef === BOB);

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

async function waitFor<T>(
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

describe.each(databases.eachSupportedId())(
  'recorded numbers in the catalog, as a standard user, on %s',
  databaseId => {
    let base: string;
    let stop: (() => Promise<void>) | undefined;
    let storage: string;

    const call = async (
      as: string,
      method: 'GET' | 'POST',
      url: string,
      body?: unknown,
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
    const catalog = (as: string, url: string, body?: unknown) =>
      call(as, body === undefined ? 'GET' : 'POST', `/api/catalog${url}`, body);

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-catalog-privacy-'));
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
      const backend = await startTestBackend({
        features: [
          catalogPlugin,
          catalogModuleVoiceRecording,
          permissionPlugin,
          permissionModuleVoiceRecording,
          voiceRecordingPlugin,
          mockServices.database.factory({ knex }),
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
                permissionPolicy: { otherPermissions: 'allow' },
                defaultCountry: 'BE',
                defaultTimeZone: 'Europe/Brussels',
                storage: { local: { directory: storage } },
              },
            },
          }),
        ] as any,
      });
      stop = () => backend.stop();
      base = `http://localhost:${backend.server.port()}`;

      // the numbers' users must be in the catalog before the numbers are created
      await waitFor('the demo users in the catalog', async () => {
        const res = await catalog(ALICE, '/entities/by-refs', {
          entityRefs: [ALICE, BOB, CAROL, DAVE],
        });
        return res.json?.items?.every((e: unknown) => e) ? true : undefined;
      });
      for (const n of NUMBERS) {
        const res = await call(
          ALICE,
          'POST',
          '/api/voice-recording/numbers',
          n,
        );
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
    });

    afterAll(async () => {
      await stop?.();
      if (storage) fs.rmSync(storage, { recursive: true, force: true });
    });

    it("no catalog answer names, counts or relates another person's number", async () => {
      const everyRef = [
        ...NUMBERS.map(n => refOf(n.number)),
        ALICE,
        BOB,
        CAROL,
        DAVE,
        'group:default/acme-bank',
        'group:default/compliance',
        'group:default/trading',
        'group:default/observers',
        'system:default/mobile-voice-recording',
      ];
      const facets = [
        'kind',
        'spec.type',
        'spec.owner',
        'spec.system',
        'metadata.name',
        'metadata.title',
        'metadata.tags',
        'metadata.annotations.voice-recording.mvr/number',
        'relations.ownedBy',
        'relations.ownerOf',
        'relations.partOf',
        'relations.hasPart',
      ]
        .map(f => `facet=${encodeURIComponent(f)}`)
        .join('&');
      const requests: Array<[string, string, unknown?]> = [
        ['entities', '/entities'],
        [
          "entities of the numbers' kind",
          '/entities?filter=kind=recordednumber',
        ],
        ['entities of kind resource', '/entities?filter=kind=resource'],
        ['entities by query', '/entities/by-query?limit=1000'],
        [
          "entities by query, the numbers' kind",
          '/entities/by-query?filter=kind=recordednumber&limit=1000',
        ],
        [
          'entities by full-text query',
          '/entities/by-query?fullTextFilterTerm=3247&limit=1000',
        ],
        ['entities by refs', '/entities/by-refs', { entityRefs: everyRef }],
        ['entity facets', `/entity-facets?${facets}`],
        [
          'users owning a number (relation filter)',
          `/entities?filter=relations.ownerOf=${refOf(NOT_CAROLS[0].number)}`,
        ],
        [
          'system having a number (relation filter)',
          `/entities?filter=relations.hasPart=${refOf(NOT_CAROLS[0].number)}`,
        ],
        ...[BOB, ALICE, DAVE, CAROL].map(
          ref =>
            [
              `User page of ${ref}`,
              `/entities/by-name/user/default/${parseEntityRef(ref).name}`,
            ] as [string, string],
        ),
        ...['acme-bank', 'compliance', 'trading', 'observers'].map(
          g =>
            [`Group page of ${g}`, `/entities/by-name/group/default/${g}`] as [
              string,
              string,
            ],
        ),
        [
          'System page',
          '/entities/by-name/system/default/mobile-voice-recording',
        ],
        [
          'System ancestry',
          '/entities/by-name/system/default/mobile-voice-recording/ancestry',
        ],
      ];
      const answers = [];
      for (const [what, url, body] of requests) {
        const res = await catalog(CAROL, url, body);
        answers.push({
          what,
          status: res.status,
          // by the digits (title, annotations, description) or the entity name
          othersNumbers: NOT_CAROLS.filter(
            n =>
              res.text.includes(digitsOf(n.number)) ||
              res.text.includes(ids.get(n.number)!),
          ).map(n => n.number),
        });
      }
      // every answer at once, so that a failure lists every leaking endpoint
      expect(answers).toEqual(
        requests.map(([what]) => ({ what, status: 200, othersNumbers: [] })),
      );

      // what carol does get: her own number, counted once
      const list = await catalog(
        CAROL,
        '/entities?filter=spec.type=mobile-number',
      );
      expect(list.json.map((e: any) => e.metadata.title)).toEqual(
        CAROLS.map(n => n.number),
      );
      const query = await catalog(
        CAROL,
        '/entities/by-query?filter=kind=recordednumber&limit=1000',
      );
      expect(query.json.totalItems).toBe(CAROLS.length);
      expect(query.json.items).toHaveLength(CAROLS.length);
      const byRefs = await catalog(CAROL, '/entities/by-refs', {
        entityRefs: NUMBERS.map(n => refOf(n.number)),
      });
      expect(
        byRefs.json.items.map((e: any) => e?.metadata.title ?? null),
      ).toEqual(NUMBERS.map(n => (n.userRef === CAROL ? n.number : null)));
      const counts = await catalog(
        CAROL,
        '/entity-facets?facet=kind&facet=spec.type',
      );
      expect(counts.json.facets['spec.type']).toContainEqual({
        value: 'mobile-number',
        count: CAROLS.length,
      });
      expect(counts.json.facets.kind).toContainEqual({
        value: 'RecordedNumber',
        count: CAROLS.length,
      });
    });

    it("answers for another person's number exactly as for a number that does not exist", async () => {
      const hidden = nameOf(NOT_CAROLS[0].number);
      const missing = `mobile-${randomUUID()}`;
      const same = async (
        what: string,
        ask: (name: string) => Promise<{ status: number; text: string }>,
      ) => {
        const a = await ask(hidden);
        const b = await ask(missing);
        expect({
          what,
          status: a.status,
          body: a.text.split(hidden).join('X'),
        }).toEqual({
          what,
          status: b.status,
          body: b.text.split(missing).join('X'),
        });
      };
      await same('entity by name', name =>
        catalog(CAROL, `/entities/by-name/recordednumber/default/${name}`),
      );
      await same('entity ancestry', name =>
        catalog(
          CAROL,
          `/entities/by-name/recordednumber/default/${name}/ancestry`,
        ),
      );
      await same('refresh', name =>
        catalog(CAROL, '/refresh', {
          entityRef: `recordednumber:default/${name}`,
        }),
      );
      await same('entities by refs', name =>
        catalog(CAROL, '/entities/by-refs', {
          entityRefs: [`recordednumber:default/${name}`],
        }),
      );
    });

    it('the owner and the admins still see the numbers; their owner and system are on the number', async () => {
      // bob: his numbers, owned by him, part of the system; his ownership query finds them
      const owned = await catalog(
        BOB,
        `/entities?filter=relations.ownedBy=${encodeURIComponent(BOB)}`,
      );
      expect(owned.json.map((e: any) => e.metadata.title).sort()).toEqual(
        BOBS.map(n => n.number).sort(),
      );
      for (const entity of owned.json) {
        expect(entity.relations).toEqual(
          expect.arrayContaining([
            { type: 'ownedBy', targetRef: BOB },
            {
              type: 'partOf',
              targetRef: 'system:default/mobile-voice-recording',
            },
          ]),
        );
      }
      const bobFacets = await catalog(BOB, '/entity-facets?facet=spec.type');
      expect(bobFacets.json.facets['spec.type']).toContainEqual({
        value: 'mobile-number',
        count: BOBS.length,
      });
      const refresh = await catalog(BOB, '/refresh', {
        entityRef: refOf(BOBS[0].number),
      });
      expect(refresh.status).toBe(200);

      // alice (compliance): every number
      const all = await catalog(ALICE, '/entities/by-refs', {
        entityRefs: NUMBERS.map(n => refOf(n.number)),
      });
      expect(all.json.items.map((e: any) => e?.metadata.title)).toEqual(
        NUMBERS.map(n => n.number),
      );
      const aliceFacets = await catalog(
        ALICE,
        '/entity-facets?facet=spec.type',
      );
      expect(aliceFacets.json.facets['spec.type']).toContainEqual({
        value: 'mobile-number',
        count: NUMBERS.length,
      });
    });

    it('no User, Group or System entity carries a relation to a recorded number, even for admins', async () => {
      const res = await catalog(ALICE, '/entities/by-refs', {
        entityRefs: [
          ALICE,
          BOB,
          CAROL,
          DAVE,
          'group:default/trading',
          'system:default/mobile-voice-recording',
        ],
      });
      for (const entity of res.json.items) {
        const toNumbers = (entity.relations ?? []).filter((r: any) =>
          /\/mobile-\d/.test(r.targetRef),
        );
        expect({ entity: entity.metadata.name, toNumbers }).toEqual({
          entity: entity.metadata.name,
          toNumbers: [],
        });
      }
    });
  },
);
