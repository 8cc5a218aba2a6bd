import { testStorageDirectory } from '../__testUtils__/testStorageDirectory';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import request from 'supertest';
import { voiceRecordingPlugin } from '../plugin';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ADMIN = 'user:default/alice';

const MON_FRI_8_12 = {
  weekdays: [1, 2, 3, 4, 5],
  start: '08:00',
  end: '12:00',
};
const SAT_9_13 = { weekdays: [6], start: '09:00', end: '13:00' };
const MON_FRI_13_17 = {
  weekdays: [1, 2, 3, 4, 5],
  start: '13:00',
  end: '17:00',
};

/**
 * The planning-model rule (copy-on-apply): a number gets a copy of the model's slots and
 * a record of the model; the model counts the numbers that use it and those whose slots
 * still equal it, in SQL; editing the model changes no number; a hand edit ends the link.
 */
describe.each(databases.eachSupportedId())(
  'planning model usage on %s',
  databaseId => {
    let app: any;
    let stop: () => Promise<void>;
    const as = { Authorization: mockCredentials.user.header(ADMIN) };

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      const backend = await startTestBackend({
        features: [
          voiceRecordingPlugin,
          mockServices.database.factory({ knex }),
          mockServices.permissions.factory(), // allows everything
          // its own storage: never the demo portal's .data/recordings
          mockServices.rootConfig.factory({
            data: {
              voiceRecording: {
                storage: { local: { directory: testStorageDirectory() } },
              },
            },
          }),
          catalogServiceMock.factory({
            entities: [
              {
                apiVersion: 'backstage.io/v1alpha1',
                kind: 'User',
                metadata: { name: 'bob', namespace: 'default' },
                spec: { memberOf: [] },
              },
            ],
          }),
          createServiceFactory({
            service: notificationService,
            deps: {},
            factory: () => ({ send: async () => {} }),
          }),
        ] as any,
      });
      app = backend.server;
      stop = () => backend.stop();
    });

    afterAll(async () => {
      await stop?.();
    });

    const usage = async (name: string) => {
      const res = await request(app)
        .get('/api/voice-recording/planning-models')
        .set(as);
      expect(res.status).toBe(200);
      const m = res.body.items.find((i: any) => i.name === name);
      return { usedBy: m.usedBy, followedBy: m.followedBy };
    };
    const number = async (id: string) =>
      (await request(app).get(`/api/voice-recording/numbers/${id}`).set(as))
        .body;
    const updateModel = async (id: string, slots: object[]) => {
      const res = await request(app)
        .put(`/api/voice-recording/planning-models/${id}`)
        .set(as)
        .send({ name: 'Shifts', slots });
      expect(res.status).toBe(200);
      return res.body;
    };

    it('counts users and followers in SQL, keeps numbers unchanged on a model edit and audits it', async () => {
      const created = await request(app)
        .post('/api/voice-recording/planning-models')
        .set(as)
        .send({ name: 'Shifts', slots: [MON_FRI_8_12, SAT_9_13] });
      expect(created.status).toBe(201);
      const modelId = created.body.id;
      expect(created.body).toMatchObject({ usedBy: 0, followedBy: 0 });

      const ids: string[] = [];
      for (const n of ['+32470000001', '+32470000002', '+32470000003']) {
        const res = await request(app)
          .post('/api/voice-recording/numbers')
          .set(as)
          .send({
            number: n,
            userRef: 'user:default/bob',
            planningModelId: modelId,
          });
        expect(res.body).toMatchObject({ number: n });
        ids.push(res.body.id);
      }
      // a number with its own schedule does not count
      await request(app)
        .post('/api/voice-recording/numbers')
        .set(as)
        .send({
          number: '+32470000004',
          userRef: 'user:default/bob',
          slots: [MON_FRI_8_12, SAT_9_13],
        })
        .expect(201);

      expect(await usage('Shifts')).toEqual({ usedBy: 3, followedBy: 3 });
      expect(await number(ids[0])).toMatchObject({
        planningModel: 'Shifts',
        followsPlanningModel: true,
      });
      const own = (
        await request(app)
          .get('/api/voice-recording/numbers/by-number/%2B32470000004')
          .set(as)
      ).body;
      expect(own.planningModel).toBeUndefined();
      expect(own.followsPlanningModel).toBeUndefined();

      // a slot added by hand: the schedule is the number's own from now on
      await request(app)
        .post(`/api/voice-recording/numbers/${ids[2]}/slots`)
        .set(as)
        .send({ weekdays: [7], start: '10:00', end: '11:00' })
        .expect(201);
      expect(await usage('Shifts')).toEqual({ usedBy: 2, followedBy: 2 });
      expect((await number(ids[2])).planningModel).toBeUndefined();

      // the model loses a slot: numbers keep both (copy-on-apply), none follows
      const edited = await updateModel(modelId, [MON_FRI_8_12]);
      expect(edited).toMatchObject({ usedBy: 2, followedBy: 0 });
      const first = await number(ids[0]);
      expect(first).toMatchObject({
        planningModel: 'Shifts',
        followsPlanningModel: false,
      });
      expect(first.slots.map((s: any) => [s.weekdays, s.start, s.end])).toEqual(
        [
          [[1, 2, 3, 4, 5], '08:00', '12:00'],
          [[6], '09:00', '13:00'],
        ],
      );

      const audit = await request(app)
        .get('/api/voice-recording/audit?action=planning-model-update')
        .set(as);
      expect(audit.status).toBe(200);
      expect(audit.body.items[0].details).toMatchObject({
        name: 'Shifts',
        usedBy: 2,
        followedByBefore: 2,
        followedByAfter: 0,
        numbersChanged: 0,
        before: { slots: [MON_FRI_8_12, SAT_9_13] },
        after: { slots: [MON_FRI_8_12] },
      });

      // the model gains a slot the numbers lack: still nobody follows
      expect(
        await updateModel(modelId, [MON_FRI_8_12, SAT_9_13, MON_FRI_13_17]),
      ).toMatchObject({ usedBy: 2, followedBy: 0 });

      // applying again copies the current slots: that number follows
      const applied = await request(app)
        .post(`/api/voice-recording/numbers/${ids[0]}/apply-planning-model`)
        .set(as)
        .send({ planningModelId: modelId });
      expect(applied.status).toBe(200);
      expect(applied.body).toMatchObject({
        planningModel: 'Shifts',
        followsPlanningModel: true,
      });
      expect(await usage('Shifts')).toEqual({ usedBy: 2, followedBy: 1 });
      const applyAudit = await request(app)
        .get('/api/voice-recording/audit?action=number-apply-planning-model')
        .set(as);
      expect(applyAudit.body.items[0].details).toMatchObject({
        planningModel: 'Shifts',
        before: { slots: [MON_FRI_8_12, SAT_9_13] },
        after: { slots: [MON_FRI_8_12, SAT_9_13, MON_FRI_13_17] },
      });

      // back to the slots number 2 was given (order differs): it follows again
      expect(
        await updateModel(modelId, [SAT_9_13, MON_FRI_8_12]),
      ).toMatchObject({ usedBy: 2, followedBy: 1 });
      expect((await number(ids[1])).followsPlanningModel).toBe(true);
      expect((await number(ids[0])).followsPlanningModel).toBe(false);

      // the numbers list carries the same flag
      const list = await request(app)
        .get('/api/voice-recording/numbers?q=3247000000')
        .set(as);
      expect(
        list.body.items.map((n: any) => [
          n.number,
          n.planningModel ?? null,
          n.followsPlanningModel ?? null,
        ]),
      ).toEqual([
        ['+32470000001', 'Shifts', false],
        ['+32470000002', 'Shifts', true],
        ['+32470000003', null, null],
        ['+32470000004', null, null],
      ]);
    });
  },
);
