import { TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import {
  caseTestBackend,
  finishedCall,
  tone,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = ref('alice'); // admin
const BOB = ref('bob'); // trader, member of the trading group
const ADMINS = 'group:default/compliance';

const entities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'trading', namespace: 'default' },
    spec: { type: 'team', children: [] },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: 'bob', namespace: 'default' },
    spec: { profile: { displayName: 'Bob Peeters' }, memberOf: ['trading'] },
  },
];

const sent: NotificationSendOptions[] = [];

describe.each(databases.eachSupportedId())(
  'retention and disposal routes on %s',
  databaseId => {
    let knex: Knex;
    let app: any;
    let bobCall: Conversation;
    let oldCall: Conversation;
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: { [ALICE]: [ADMINS], [BOB]: ['group:default/trading'] },
      sent,
      entities,
      // the scheduled job stays out of the way: the test runs it by the route
      config: { retention: { disposal: { enabled: false } } },
    });
    const { api, as, get, post, actions } = backend;

    beforeAll(async () => {
      ({ app, knex } = await backend.start());
      const audio = await backend.storeRecording(
        'recordings/2015/01/old.ogg',
        tone(1),
      );
      oldCall = finishedCall('2015-01-05T09:00:00.000Z', {
        endedAt: '2015-01-05T09:00:03.000Z',
        ...audio,
      });
      bobCall = finishedCall(new Date(Date.now() - 86_400_000).toISOString(), {
        userRef: BOB,
        number: '+32470111222',
      });
      await new ConversationSearchStore(knex).insertFinished([
        oldCall,
        bobCall,
      ]);
    });
    afterAll(() => backend.stop());

    it('refuses a trader (403, audited)', async () => {
      const res = await get(BOB, '/retention/policies');
      expect(res.status).toBe(403);
      const denied = await actions('permission-denied');
      expect(
        denied.some((r: any) =>
          String(r.details).includes('voice-recording.compliance.manage'),
        ),
      ).toBe(true);
      expect((await post(BOB, '/disposals/run')).status).toBe(403);
    });

    it('answers 400 naming the field, and writes nothing', async () => {
      const bad = async (body: object, field: RegExp) => {
        const res = await post(ALICE, '/retention/policies', body);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(field);
      };
      await bad(
        { name: 'X', period: '5 years', scope: { kind: 'default' } },
        /^period: /,
      );
      await bad(
        { name: 'X', period: 'P0Y', scope: { kind: 'default' } },
        /^period: /,
      );
      await bad(
        { name: '', period: 'P5Y', scope: { kind: 'default' } },
        /^name: /,
      );
      await bad(
        { name: 'X', period: 'P5Y', scope: { kind: 'everyone' } },
        /^scope\.kind: /,
      );
      await bad(
        { name: 'X', period: 'P5Y', scope: { kind: 'groups', groupRefs: [] } },
        /^scope\.groupRefs: /,
      );
      await bad(
        {
          name: 'X',
          period: 'P5Y',
          scope: { kind: 'groups', groupRefs: ['nobody'] },
        },
        /^scope\.groupRefs: the catalog has no group group:default\/nobody/,
      );
      await bad(
        {
          name: 'X',
          period: 'P5Y',
          scope: { kind: 'numbers', numberIds: ['nope'] },
        },
        /^scope\.numberIds: /,
      );
      const list = await get(ALICE, '/retention/policies');
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ minimumPeriod: 'P5Y', policies: [] });
    });

    it('creates a group policy, re-computes, shows the retention end on the conversation', async () => {
      const res = await post(ALICE, '/retention/policies', {
        name: 'Trading desk',
        period: 'p10y',
        scope: { kind: 'groups', groupRefs: ['trading'] },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name: 'Trading desk',
        period: 'P10Y',
        scope: { kind: 'groups', groupRefs: ['group:default/trading'] },
        source: 'portal',
      });
      const detail = await get(ALICE, `/conversations/${bobCall.id}`);
      expect(detail.status).toBe(200);
      const body = detail.body.conversation ?? detail.body;
      const ended = new Date(bobCall.startedAt);
      const until = new Date(body.retentionUntil);
      expect(until.getUTCFullYear() - ended.getUTCFullYear()).toBe(10);
      expect(body.retentionPolicyId).toBe(res.body.id);
      const list = await get(ALICE, '/retention/policies');
      expect(list.body.policies).toEqual([
        expect.objectContaining({ name: 'Trading desk', conversationCount: 1 }),
      ]);
      expect(list.body.minimumCount).toBe(1);
      const [audit] = await actions('retention-policy-create');
      expect(JSON.parse(audit.details)).toMatchObject({
        after: { name: 'Trading desk', period: 'P10Y' },
        recomputed: 2,
      });
    });

    it('lists upcoming disposals, dry-runs, runs, and keeps the disposal log (JSON and CSV)', async () => {
      const upcoming = await get(ALICE, '/retention/upcoming?days=30');
      expect(upcoming.status).toBe(200);
      expect(upcoming.body.items).toEqual([
        expect.objectContaining({
          conversationId: oldCall.id,
          retentionUntil: '2020-01-05T09:00:03.000Z',
          legalHold: false,
        }),
      ]);
      expect((await get(ALICE, '/retention/upcoming?days=-1')).status).toBe(
        400,
      );

      const dry = await post(ALICE, '/disposals/dry-run');
      expect(dry.status).toBe(200);
      expect(dry.body).toMatchObject({ total: 1, held: 0 });

      const run = await post(ALICE, '/disposals/run');
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({
        state: 'done',
        disposed: 1,
        held: 0,
        failed: 0,
      });
      expect((await get(ALICE, `/conversations/${oldCall.id}`)).status).toBe(
        404,
      );

      const log = await get(ALICE, '/disposals');
      expect(log.body).toMatchObject({
        total: 1,
        items: [
          expect.objectContaining({
            conversationId: oldCall.id,
            number: '+32470999000',
            jobRunId: run.body.runId,
            sha256: oldCall.sha256,
          }),
        ],
      });
      const csv = await get(ALICE, '/disposals?format=csv');
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/text\/csv/);
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toBe(
        'conversationId,number,userRef,participants,direction,startedAt,endedAt,sha256,policy,retentionUntil,disposedAt,jobRunId',
      );
      expect(lines).toHaveLength(2);
      // a number starts with +: neutralised for spreadsheets
      expect(lines[1]).toContain(`${oldCall.id},'+32470999000,`);
      expect(lines[1]).toContain('regulatory minimum');

      const runs = await get(ALICE, '/disposals/runs');
      expect(runs.body.items[0]).toMatchObject({
        id: run.body.runId,
        trigger: 'manual',
        requestedBy: ALICE,
        state: 'done',
        disposed: 1,
      });
      for (const action of [
        'disposal-dry-run',
        'disposal-run',
        'disposal-batch',
        'disposal-log-export',
      ])
        expect(await actions(action)).toHaveLength(1);
      const [batch] = await actions('disposal-batch');
      expect(JSON.parse(batch.details)).toMatchObject({
        disposed: 1,
        conversationIds: [oldCall.id],
      });
    });

    it('deletes a policy (its calls fall back to the minimum), 404 for an unknown one', async () => {
      const list = await get(ALICE, '/retention/policies');
      const id = list.body.policies[0].id;
      const res = await request(app)
        .delete(`${api}/retention/policies/${id}`)
        .set(as(ALICE));
      expect(res.status).toBe(204);
      const detail = await get(ALICE, `/conversations/${bobCall.id}`);
      const body = detail.body.conversation ?? detail.body;
      expect(body.retentionPolicyId).toBeUndefined();
      expect(
        new Date(body.retentionUntil).getUTCFullYear() -
          new Date(bobCall.startedAt).getUTCFullYear(),
      ).toBe(5);
      expect(
        (
          await request(app)
            .delete(`${api}/retention/policies/${id}`)
            .set(as(ALICE))
        ).status,
      ).toBe(404);
    });
  },
);
