/*
 * Recorded numbers in the software catalog, seen by a standard user.
 *
 * The real catalog backend, the real permission backend, the real voice-recording
 * backend and the real catalog module (its entity provider and processor) run in one
 * test backend on SQLite and on PostgreSQL (`__testUtils__/recordedNumbersBackend`),
 * under each way a portal installs the suite's permission decisions: the suite's
 * ready-made policy module, and a portal's own policy that delegates to the suite's
 * handler (`__testUtils__/HostPortalPolicy`). The numbers are created through the
 * voice-recording API and reach the catalog through the provider. Then every catalog
 * endpoint a browser can call is asked as carol (a trader with one recorded number):
 * no answer may name, count or relate another person's number, while carol, bob (the
 * owner of two) and alice (compliance admin) still see theirs.
 */
import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { BackendFeature } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import permissionModuleVoiceRecording from '@mvr/plugin-permission-backend-module-voice-recording';
import { permissionModuleHostPortalPolicy } from './__testUtils__/HostPortalPolicy';
import {
  ALICE,
  BOB,
  CAROL,
  DAVE,
  digitsOf,
  NUMBERS,
  RecordedNumbersBackend,
  startRecordedNumbersBackend,
} from './__testUtils__/recordedNumbersBackend';

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const CAROLS = NUMBERS.filter(n => n.userRef === CAROL);
const NOT_CAROLS = NUMBERS.filter(n => n.userRef !== CAROL);
const BOBS = NUMBERS.filter(n => n.userRef === BOB);

const POLICIES: Array<
  [string, { policy: BackendFeature; voiceRecording?: Record<string, unknown> }]
> = [
  [
    "the suite's policy module",
    {
      policy: permissionModuleVoiceRecording,
      voiceRecording: { permissionPolicy: { otherPermissions: 'allow' } },
    },
  ],
  [
    "a portal's own policy delegating to the suite",
    { policy: permissionModuleHostPortalPolicy },
  ],
];

describe.each(
  databases
    .eachSupportedId()
    .flatMap(([databaseId]) =>
      POLICIES.map(
        ([policyName, wiring]) => [databaseId, policyName, wiring] as const,
      ),
    ),
)(
  'recorded numbers in the catalog, as a standard user, on %s, with %s',
  (databaseId, _policyName, wiring) => {
    let backend: RecordedNumbersBackend;
    const catalog = (as: string, url: string, body?: unknown) =>
      backend.catalog(as, url, body);
    const nameOf = (n: string) => backend.nameOf(n);
    const refOf = (n: string) => backend.refOf(n);

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      backend = await startRecordedNumbersBackend({ knex, ...wiring });
    });

    afterAll(async () => {
      await backend?.stop();
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
      const ids = backend.ids;
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
