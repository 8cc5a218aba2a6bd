import { testStorageDirectory } from '../__testUtils__/testStorageDirectory';
import { randomUUID } from 'node:crypto';
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
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingPlanningModelReadPermission,
} from '@mvr/plugin-voice-recording-common';
import {
  StatusChangeNotification,
  voiceRecordingNotifierExtensionPoint,
  VOICE_RECORDING_NUMBERS_TOPIC,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../database/ConversationSearchStore';
import { voiceRecordingPlugin } from '../plugin';
import {
  createVoiceRecordingNumberConditionalDecision,
  voiceRecordingNumberConditions,
} from '../permissions';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const demoFile = path.resolve(
  __dirname,
  '../../../../examples/voice-recording.yaml',
);

const ALICE = 'user:default/alice'; // compliance admin
const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
const DAVE = 'user:default/dave';

const user = (name: string) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { memberOf: [] },
});

/**
 * A small policy like the real one: admins and services get ALLOW; standard users
 * get conditional decisions (own numbers; own self-managed numbers) that the plugin
 * must turn into SQL; everything else is denied.
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
  if (permission.name === voiceRecordingNumberReadPermission.name) {
    return createVoiceRecordingNumberConditionalDecision(
      permission as ResourcePermission<any>,
      own,
    );
  }
  if (permission.name === voiceRecordingNumberSelfManagePermission.name) {
    return createVoiceRecordingNumberConditionalDecision(
      permission as ResourcePermission<any>,
      {
        allOf: [own, voiceRecordingNumberConditions.isSelfManaged()],
      },
    );
  }
  if (permission.name === voiceRecordingPlanningModelReadPermission.name) {
    return { result: AuthorizeResult.ALLOW };
  }
  return { result: AuthorizeResult.DENY };
}

const permissionsFactory = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: (): PermissionsService => ({
    async authorize(requests, { credentials }) {
      return requests.map(r => {
        const d = decide(r.permission, credentials);
        return {
          result:
            d.result === AuthorizeResult.ALLOW
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        };
      }) as any;
    },
    async authorizeConditional(queries, { credentials }) {
      return queries.map(q => decide(q.permission, credentials)) as any;
    },
  }),
});

describe.each(databases.eachSupportedId())(
  'voice-recording router on %s',
  databaseId => {
    let knex: Knex;
    let app: any;
    const sent: any[] = [];
    const notified: StatusChangeNotification[] = [];
    const published: any[] = [];
    let stop: () => Promise<void>;

    const as = (ref: string) => ({
      Authorization: mockCredentials.user.header(ref),
    });
    const asService = {
      Authorization: mockCredentials.service.header({
        onBehalfOf: mockCredentials.service('external:network'),
      } as any),
    };
    const byNumber = async (n: string) =>
      (
        await request(app)
          .get(
            `/api/voice-recording/numbers/by-number/${encodeURIComponent(n)}`,
          )
          .set(as(ALICE))
      ).body;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      const testNotifiers = createBackendModule({
        pluginId: 'voice-recording',
        moduleId: 'test-notifiers',
        register(env) {
          env.registerInit({
            deps: { ep: voiceRecordingNotifierExtensionPoint },
            async init({ ep }) {
              ep.addNotifier(
                { id: 'recording', notify: async n => void notified.push(n) },
                {
                  id: 'broken',
                  notify: async () => {
                    throw new Error('gateway down');
                  },
                },
              );
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
                // its own storage: never the demo portal's .data/recordings
                storage: { local: { directory: testStorageDirectory() } },
              },
            },
          }),
          permissionsFactory,
          catalogServiceMock.factory({
            entities: ['alice', 'bob', 'carol', 'dave', 'erin'].map(user),
          }),
          mockServices.events.mock({
            publish: async e => void published.push(e),
          }).factory,
          createServiceFactory({
            service: notificationService,
            deps: {},
            factory: () => ({ send: async (o: any) => void sent.push(o) }),
          }),
        ] as any,
      });
      app = backend.server;
      stop = () => backend.stop();
    });

    afterAll(async () => {
      await stop?.();
    });

    it('lists only the own numbers of a standard user (conditional decision in SQL), all for admins', async () => {
      const bob = await request(app)
        .get('/api/voice-recording/numbers')
        .set(as(BOB));
      expect(bob.status).toBe(200);
      expect(bob.body.items.map((n: any) => n.number)).toEqual([
        '+32470123456',
        '+32474567890',
      ]);
      expect(bob.body.total).toBe(2);
      expect(bob.body.items.every((n: any) => n.userRef === BOB)).toBe(true);

      const admin = await request(app)
        .get('/api/voice-recording/numbers')
        .set(as(ALICE));
      expect(admin.body.total).toBe(6);
      const sorted = [...admin.body.items.map((n: any) => n.number)].sort();
      expect(admin.body.items.map((n: any) => n.number)).toEqual(sorted);

      // the filter is applied in SQL: paging counts only visible rows
      const page = await request(app)
        .get('/api/voice-recording/numbers?limit=1&offset=1')
        .set(as(BOB));
      expect(page.body).toMatchObject({
        total: 2,
        items: [{ number: '+32474567890' }],
      });

      const inactive = await request(app)
        .get('/api/voice-recording/numbers?status=inactive')
        .set(as(ALICE));
      expect(inactive.body.items.map((n: any) => n.number)).toEqual([
        '+32473456789',
        '+32474567890',
      ]);

      const q = await request(app)
        .get('/api/voice-recording/numbers?q=carol')
        .set(as(ALICE));
      expect(q.body.items.map((n: any) => n.number)).toEqual(['+32471234567']);

      const me = await request(app)
        .get('/api/voice-recording/me/numbers')
        .set(as(CAROL));
      expect(me.body.items.map((n: any) => n.number)).toEqual(['+32471234567']);
    });

    it("answers 404 for another user's number and 400 naming a bad query field", async () => {
      const carol = await byNumber('+32471234567');
      const res = await request(app)
        .get(`/api/voice-recording/numbers/${carol.id}`)
        .set(as(BOB));
      expect(res.status).toBe(404);
      const own = await request(app)
        .get(`/api/voice-recording/numbers/${carol.id}`)
        .set(as(CAROL));
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({
        number: '+32471234567',
        planningModel: 'Office hours',
      });
      expect(['recording', 'private', 'outside-schedule']).toContain(
        own.body.status,
      );

      const bad = await request(app)
        .get('/api/voice-recording/numbers?limit=9999')
        .set(as(ALICE));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^limit:/);
    });

    it('refuses create, update and bulk for a standard user with 403 and audits the denial', async () => {
      const bob = await byNumber('+32470123456');
      const create = await request(app)
        .post('/api/voice-recording/numbers')
        .set(as(BOB))
        .send({ number: '+32475000001', userRef: BOB });
      expect(create.status).toBe(403);
      const update = await request(app)
        .patch(`/api/voice-recording/numbers/${bob.id}`)
        .set(as(BOB))
        .send({ settings: { beep: false } });
      expect(update.status).toBe(403);
      const bulk = await request(app)
        .post('/api/voice-recording/bulk/import')
        .set(as(BOB))
        .type('text/csv')
        .send(
          'number,planning_model,status_mode,active_status,beep,sms,self_management\n',
        );
      expect(bulk.status).toBe(403);
      const audit = await request(app)
        .get(
          '/api/voice-recording/audit?action=permission-denied&actor=user:default/bob',
        )
        .set(as(ALICE));
      expect(audit.body.total).toBeGreaterThanOrEqual(3);
      expect(audit.body.items[0].details).toMatchObject({ outcome: 'denied' });
      expect(
        (await request(app).get('/api/voice-recording/audit').set(as(BOB)))
          .status,
      ).toBe(403);
    });

    it('normalises national input, checks the user in the catalog and gives the default slot', async () => {
      const res = await request(app)
        .post('/api/voice-recording/numbers')
        .set(as(ALICE))
        .send({ number: '0475 11 22 33', userRef: 'erin' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        number: '+32475112233',
        userRef: 'user:default/erin',
        mvrActive: true,
        slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
      });
      const dup = await request(app)
        .post('/api/voice-recording/numbers')
        .set(as(ALICE))
        .send({ number: '+32 475 11 22 33', userRef: 'erin' });
      expect(dup.status).toBe(409);
      const unknownUser = await request(app)
        .post('/api/voice-recording/numbers')
        .set(as(ALICE))
        .send({ number: '0475 11 22 34', userRef: 'user:default/nobody' });
      expect(unknownUser.status).toBe(400);
      expect(unknownUser.body.error.message).toMatch(/^userRef: .*nobody/);
      const badNumber = await request(app)
        .post('/api/voice-recording/numbers')
        .set(as(ALICE))
        .send({ number: '12', userRef: 'erin' });
      expect(badNumber.status).toBe(400);
      expect(badNumber.body.error.message).toMatch(/^number:/);
      const fmu = await request(app)
        .post('/api/voice-recording/numbers')
        .set(as(ALICE))
        .send({
          number: '0475 11 22 35',
          userRef: 'erin',
          fmu: true,
          mvrActive: true,
        });
      expect(fmu.status).toBe(400);
      expect(fmu.body.error.message).toMatch(/^mvrActive: .*FMU/);
      expect(published).toContainEqual(
        expect.objectContaining({
          topic: VOICE_RECORDING_NUMBERS_TOPIC,
          eventPayload: { action: 'upsert', numbers: ['+32475112233'] },
        }),
      );
    });

    it('refuses changes to a number whose MVR is not active, except activating it', async () => {
      const dave = await byNumber('+32473456789');
      const res = await request(app)
        .patch(`/api/voice-recording/numbers/${dave.id}`)
        .set(as(ALICE))
        .send({ settings: { beep: true } });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('MVR is not active for +32473456789');
      const slot = await request(app)
        .post(`/api/voice-recording/numbers/${dave.id}/slots`)
        .set(as(ALICE))
        .send({ weekdays: [6], start: '10:00', end: '11:00' });
      expect(slot.status).toBe(400);
      expect(slot.body.error.message).toBe(
        'MVR is not active for +32473456789',
      );
      const activate = await request(app)
        .patch(`/api/voice-recording/numbers/${dave.id}`)
        .set(as(ALICE))
        .send({ mvrActive: true, settings: { beep: true } });
      expect(activate.status).toBe(200);
      expect(activate.body).toMatchObject({
        mvrActive: true,
        settings: { beep: true },
      });
    });

    it('notifies the user on an admin status change; a failing notifier does not break it', async () => {
      const bob = await byNumber('+32470123456');
      notified.length = 0;
      sent.length = 0;
      const res = await request(app)
        .patch(`/api/voice-recording/numbers/${bob.id}`)
        .set(as(ALICE))
        .send({ settings: { statusMode: 'manual', activeStatus: 'private' } });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('private');
      expect(notified).toEqual([
        expect.objectContaining({
          number: '+32470123456',
          userRef: BOB,
          changedBy: ALICE,
          previous: {
            mvrActive: true,
            statusMode: 'auto',
            activeStatus: 'professional',
          },
          current: {
            mvrActive: true,
            statusMode: 'manual',
            activeStatus: 'private',
          },
        }),
      ]);
      expect(notified[0].text.length).toBeLessThanOrEqual(160);
      expect(sent).toEqual([
        expect.objectContaining({
          recipients: { type: 'entity', entityRef: BOB },
        }),
      ]);
      // the change is audited with the values before, field by field
      const updates = await request(app)
        .get(
          '/api/voice-recording/audit?action=number-update&target=%2B32470123456&limit=1',
        )
        .set(as(ALICE));
      expect(updates.body.items[0].details).toMatchObject({
        id: bob.id,
        before: {
          settings: { statusMode: 'auto', activeStatus: 'professional' },
        },
        change: { settings: { statusMode: 'manual', activeStatus: 'private' } },
      });
      const audit = await request(app)
        .get('/api/voice-recording/audit?action=status-change-notification')
        .set(as(ALICE));
      expect(audit.body.items).toContainEqual(
        expect.objectContaining({
          details: expect.objectContaining({
            notifier: 'broken',
            outcome: 'failed',
            error: 'gateway down',
          }),
        }),
      );
      // back to auto; a settings change that does not touch the status sends nothing
      await request(app)
        .patch(`/api/voice-recording/numbers/${bob.id}`)
        .set(as(ALICE))
        .send({ settings: { statusMode: 'auto' } });
      notified.length = 0;
      await request(app)
        .patch(`/api/voice-recording/numbers/${bob.id}`)
        .set(as(ALICE))
        .send({ settings: { beep: false } });
      expect(notified).toEqual([]);
    });

    it('lets the owner of a self-managed number switch professional mode, and nobody else', async () => {
      const carol = await byNumber('+32471234567');
      const bob = await byNumber('+32470123456');
      const off = await request(app)
        .post(`/api/voice-recording/numbers/${carol.id}/professional-mode`)
        .set(as(CAROL))
        .send({ enabled: false });
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({
        settings: { statusMode: 'manual', activeStatus: 'private' },
        status: 'private',
      });
      // bob is not the owner
      const other = await request(app)
        .post(`/api/voice-recording/numbers/${carol.id}/professional-mode`)
        .set(as(BOB))
        .send({ enabled: true });
      expect(other.status).toBe(403);
      // bob owns his number but it is not self-managed
      const notSelf = await request(app)
        .post(`/api/voice-recording/numbers/${bob.id}/professional-mode`)
        .set(as(BOB))
        .send({ enabled: false });
      expect(notSelf.status).toBe(403);
      // admins may
      const admin = await request(app)
        .post(`/api/voice-recording/numbers/${carol.id}/professional-mode`)
        .set(as(ALICE))
        .send({ enabled: true });
      expect(admin.body.settings.activeStatus).toBe('professional');
      const badBody = await request(app)
        .post(`/api/voice-recording/numbers/${carol.id}/professional-mode`)
        .set(as(CAROL))
        .send({ enabled: 'yes' });
      expect(badBody.status).toBe(400);
      expect(badBody.body.error.message).toMatch(/^enabled:/);
    });

    it('toggles professional mode with #135# for service principals only', async () => {
      const code = await request(app)
        .post('/api/voice-recording/network/feature-code')
        .set(asService)
        .send({ number: '0471 23 45 67', code: '#135#' });
      expect(code.status).toBe(200);
      expect(code.body).toEqual({
        number: '+32471234567',
        professional: false,
      });
      const again = await request(app)
        .post('/api/voice-recording/network/feature-code')
        .set(asService)
        .send({ number: '+32471234567', code: '#135#' });
      expect(again.body).toEqual({
        number: '+32471234567',
        professional: true,
      });
      const notSelf = await request(app)
        .post('/api/voice-recording/network/feature-code')
        .set(asService)
        .send({ number: '+32470123456', code: '#135#' });
      expect(notSelf.status).toBe(403);
      expect(notSelf.body.error.message).toMatch(/not self-managed/);
      const asUser = await request(app)
        .post('/api/voice-recording/network/feature-code')
        .set(as(CAROL))
        .send({ number: '+32471234567', code: '#135#' });
      expect(asUser.status).toBe(403);
    });

    it('rejects an overlapping slot naming both slots, and never deletes the last slot', async () => {
      const created = await request(app)
        .post('/api/voice-recording/numbers')
        .set(as(ALICE))
        .send({
          number: '+32475000010',
          userRef: BOB,
          slots: [{ weekdays: [1, 2], start: '09:00', end: '12:00' }],
        });
      expect(created.status).toBe(201);
      const id = created.body.id;
      const overlap = await request(app)
        .post(`/api/voice-recording/numbers/${id}/slots`)
        .set(as(ALICE))
        .send({ weekdays: [2, 3], start: '11:00', end: '13:00' });
      expect(overlap.status).toBe(400);
      expect(overlap.body.error.message).toContain('Tue,Wed 11:00-13:00');
      expect(overlap.body.error.message).toContain('Mon,Tue 09:00-12:00');
      const tooShort = await request(app)
        .post(`/api/voice-recording/numbers/${id}/slots`)
        .set(as(ALICE))
        .send({ weekdays: [5], start: '11:00', end: '11:03' });
      expect(tooShort.status).toBe(400);
      expect(tooShort.body.error.message).toMatch(/minimum is 5 minutes/);

      const last = await request(app)
        .delete(
          `/api/voice-recording/numbers/${id}/slots/${created.body.slots[0].id}`,
        )
        .set(as(ALICE));
      expect(last.status).toBe(400);
      expect(last.body.error.message).toMatch(/last slot/);

      const added = await request(app)
        .post(`/api/voice-recording/numbers/${id}/slots`)
        .set(as(ALICE))
        .send({ weekdays: [3], start: '13:00', end: '14:00' });
      expect(added.status).toBe(201);
      expect(added.body.slots).toHaveLength(2);
      const removed = await request(app)
        .delete(
          `/api/voice-recording/numbers/${id}/slots/${created.body.slots[0].id}`,
        )
        .set(as(ALICE));
      expect(removed.status).toBe(200);
      expect(removed.body.slots).toEqual([
        expect.objectContaining({
          weekdays: [3],
          start: '13:00',
          end: '14:00',
        }),
      ]);
    });

    it('manages planning models: unique names, slot errors, no delete while in use', async () => {
      const dup = await request(app)
        .post('/api/voice-recording/planning-models')
        .set(as(ALICE))
        .send({
          name: 'Office hours',
          slots: [{ weekdays: [1], start: '08:00', end: '09:00' }],
        });
      expect(dup.status).toBe(409);
      const overlap = await request(app)
        .post('/api/voice-recording/planning-models')
        .set(as(ALICE))
        .send({
          name: 'Broken',
          slots: [
            { weekdays: [1], start: '08:00', end: '12:00' },
            { weekdays: [1], start: '11:00', end: '13:00' },
          ],
        });
      expect(overlap.status).toBe(400);
      expect(overlap.body.details.slotErrors).toEqual([
        expect.objectContaining({ index: 1, otherIndex: 0 }),
      ]);
      const list = await request(app)
        .get('/api/voice-recording/planning-models')
        .set(as(BOB));
      const office = list.body.items.find(
        (m: any) => m.name === 'Office hours',
      );
      expect(office.usedBy).toBeGreaterThanOrEqual(3);
      const del = await request(app)
        .delete(`/api/voice-recording/planning-models/${office.id}`)
        .set(as(ALICE));
      expect(del.status).toBe(409);
      expect(del.body.error.message).toContain(
        `used by ${office.usedBy} recorded numbers`,
      );
      const created = await request(app)
        .post('/api/voice-recording/planning-models')
        .set(as(ALICE))
        .send({
          name: 'Nights',
          slots: [{ weekdays: [1, 2, 3, 4, 5], start: '18:00', end: '24:00' }],
        });
      expect(created.status).toBe(201);
      expect(
        (
          await request(app)
            .delete(`/api/voice-recording/planning-models/${created.body.id}`)
            .set(as(ALICE))
        ).status,
      ).toBe(204);
      expect(
        (
          await request(app)
            .post('/api/voice-recording/planning-models')
            .set(as(BOB))
            .send({ name: 'x', slots: [] })
        ).status,
      ).toBe(403);
    });

    const header =
      'number,planning_model,status_mode,active_status,beep,sms,self_management';

    it('rejects a bulk import with several wrong rows, listing every line, and applies nothing', async () => {
      const before = await request(app)
        .get('/api/voice-recording/bulk/export')
        .set(as(ALICE));
      const csv = [
        header.split(',').join(';'),
        '+32470123456;Around the clock;auto;professional;yes;no;no', // valid
        '+32479999999;Office hours;auto;professional;yes;no;no', // unknown number
        '0472 34 56 78;No such model;auto;professional;yes;no;no', // unknown model
        '+32471234567;Office hours;auto;professional;yes;no;yes', // self-managed on auto
        '+32474567890;Office hours;auto;professional;maybe;no;no', // MVR inactive + bad beep
      ].join('\r\n');
      const res = await request(app)
        .post('/api/voice-recording/bulk/import')
        .set(as(ALICE))
        .type('text/csv')
        .send(Buffer.from(`\ufeff${csv}`));
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      const lines = [
        ...new Set(res.body.details.errors.map((e: any) => e.line)),
      ];
      expect(lines).toEqual([3, 4, 5, 6]);
      expect(res.body.details.errors).toContainEqual(
        expect.objectContaining({ line: 6, column: 'beep' }),
      );
      const after = await request(app)
        .get('/api/voice-recording/bulk/export')
        .set(as(ALICE));
      expect(after.text).toBe(before.text);
    });

    it('reports the line of the first byte that is not UTF-8', async () => {
      const latin1 = Buffer.concat([
        Buffer.from(
          `${header}\n+32470123456,Office hours,auto,professional,yes,no,no\n+32472345678,Caf`,
        ),
        Buffer.from([0xe9]),
        Buffer.from(',auto,professional,yes,no,no\n'),
      ]);
      const res = await request(app)
        .post('/api/voice-recording/bulk/import')
        .set(as(ALICE))
        .type('text/csv')
        .send(latin1);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/not UTF-8.*line 3/);
      expect(res.body.details.errors[0].line).toBe(3);
    });

    it('applies a valid import in one go, and re-importing the export changes nothing', async () => {
      const csv = [
        header,
        '+32470123456,Around the clock,manual,professional,no,yes,no',
        '0472 34 56 78,Office hours,auto,professional,yes,no,no',
      ].join('\n');
      const dry = await request(app)
        .post('/api/voice-recording/bulk/import?dryRun=true')
        .set(as(ALICE))
        .type('text/csv')
        .send(csv);
      expect(dry.body).toEqual({ applied: 2, unchanged: 0, dryRun: true });
      expect((await byNumber('+32470123456')).planningModel).toBe(
        'Office hours',
      );

      const res = await request(app)
        .post('/api/voice-recording/bulk/import')
        .set(as(ALICE))
        .type('text/csv')
        .send(csv);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ applied: 2, unchanged: 0, dryRun: false });
      const bob = await byNumber('+32470123456');
      expect(bob).toMatchObject({
        planningModel: 'Around the clock',
        settings: {
          statusMode: 'manual',
          activeStatus: 'professional',
          beep: false,
          smsOnStatusChange: true,
        },
        slots: [
          { weekdays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' },
        ],
      });
      const alice = await byNumber('+32472345678');
      expect(alice.slots).toEqual([
        expect.objectContaining({
          weekdays: [1, 2, 3, 4, 5],
          start: '08:00',
          end: '18:00',
        }),
      ]);

      const exported = await request(app)
        .get('/api/voice-recording/bulk/export')
        .set(as(ALICE));
      expect(exported.status).toBe(200);
      expect(exported.headers['content-type']).toMatch(/text\/csv/);
      expect(exported.text.split('\n')[0]).toBe(header);
      const again = await request(app)
        .post('/api/voice-recording/bulk/import')
        .set(as(ALICE))
        .type('text/csv')
        .send(exported.text);
      expect(again.body).toEqual({
        applied: 0,
        unchanged: exported.text.trim().split('\n').length - 1,
        dryRun: false,
      });

      const template = await request(app)
        .get('/api/voice-recording/bulk/template')
        .set(as(ALICE));
      expect(template.text.split('\n')[0]).toBe(header);
    });

    it('answers the recording decision for the network', async () => {
      // carol: manual + professional (self-managed), recorded at any time
      const rec = await request(app)
        .get('/api/voice-recording/policy/decision')
        .query({ number: '0471 23 45 67', at: '2025-06-07T23:00:00+02:00' })
        .set(asService);
      expect(rec.status).toBe(200);
      expect(rec.body).toMatchObject({
        number: '+32471234567',
        record: true,
        reason: 'recording',
      });
      const emergency = await request(app)
        .get('/api/voice-recording/policy/decision')
        .query({ number: '+32471234567', otherParty: '112' })
        .set(asService);
      expect(emergency.body).toMatchObject({
        record: false,
        reason: 'emergency-number',
      });
      // erin's number: Auto, Mon-Fri 08:00-18:00 Europe/Brussels
      const outside = await request(app)
        .get('/api/voice-recording/policy/decision')
        .query({ number: '+32475112233', at: '2025-06-07T10:00:00+02:00' }) // Saturday
        .set(asService);
      expect(outside.body).toMatchObject({
        record: false,
        reason: 'outside-schedule',
      });
      const inside = await request(app)
        .get('/api/voice-recording/policy/decision')
        .query({ number: '+32475112233', at: '2025-06-06T06:30:00Z' }) // Friday 08:30 in Brussels
        .set(asService);
      expect(inside.body).toMatchObject({ record: true, reason: 'recording' });
      const unknown = await request(app)
        .get('/api/voice-recording/policy/decision')
        .query({ number: '+32479999999' })
        .set(asService);
      expect(unknown.status).toBe(404);
      const denied = await request(app)
        .get('/api/voice-recording/policy/decision')
        .query({ number: '+32471234567' })
        .set(as(BOB));
      expect(denied.status).toBe(403);
    });

    it('deletes a number and announces it; its conversations are kept; the audit keeps its values', async () => {
      const erin = await byNumber('+32475112233');
      // A recorded call on that number: evidence, kept when the number goes.
      const now = new Date().toISOString();
      const callId = randomUUID();
      await new ConversationSearchStore(knex).insertFinished([
        {
          id: callId,
          sipCallId: `delete-${callId}`,
          number: '+32475112233',
          userRef: erin.userRef,
          recordedNumberId: erin.id,
          otherParty: '+3225550000',
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
        } as unknown as Conversation,
      ]);
      expect(
        (
          await request(app)
            .delete(`/api/voice-recording/numbers/${erin.id}`)
            .set(as(BOB))
        ).status,
      ).toBe(403);
      const res = await request(app)
        .delete(`/api/voice-recording/numbers/${erin.id}`)
        .set(as(ALICE));
      expect(res.status).toBe(204);
      expect(published).toContainEqual(
        expect.objectContaining({
          eventPayload: { action: 'delete', numbers: ['+32475112233'] },
        }),
      );
      const audit = await request(app)
        .get('/api/voice-recording/audit?target=%2B32475112233')
        .set(as(ALICE));
      expect(audit.body.items.map((i: any) => i.action)).toEqual(
        expect.arrayContaining(['number-delete', 'number-create']),
      );
      expect(audit.body.items[0].action).toBe('number-delete');
      expect(audit.body.items[0].details.before).toEqual({
        userRef: erin.userRef,
        mvrActive: erin.mvrActive,
        fmu: erin.fmu,
        planningModel: erin.planningModel ?? null,
        settings: erin.settings,
        slots: erin.slots,
      });
      // The number is gone, its conversation is not (only the link is cleared).
      expect(
        (
          await request(app)
            .get(`/api/voice-recording/numbers/${erin.id}`)
            .set(as(ALICE))
        ).status,
      ).toBe(404);
      const kept = await knex('vr_conversations').where({ id: callId });
      expect(kept).toHaveLength(1);
      expect(kept[0].recorded_number_id).toBeNull();
      expect(kept[0].number).toBe('+32475112233');
    });

    it('rejects requests without credentials', async () => {
      const res = await request(app)
        .get('/api/voice-recording/numbers')
        .set({ Authorization: mockCredentials.none.header() });
      expect(res.status).toBe(401);
      void DAVE;
    });
  },
);
