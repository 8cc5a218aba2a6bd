import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import {
  caseTestBackend,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const ALICE = ref('alice'); // admin

const user = (name: string, extra: any = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default', ...(extra.metadata ?? {}) },
  spec: { memberOf: [] },
  relations: extra.relations ?? [],
});
const group = (name: string, type: string, extra: any = {}) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default', ...(extra.metadata ?? {}) },
  spec: { type, children: [] },
  relations: extra.relations ?? [],
});
const memberOf = (...groups: string[]) =>
  groups.map(g => ({ type: 'memberOf', targetRef: `group:default/${g}` }));

/**
 * bob: his team group names mona (annotation; his other group, a plain one, names
 * nobody); carol: her own annotation names mark; dave: his team group is owned by sam;
 * erin: no group, no annotation.
 */
const directory = [
  user('bob', { relations: memberOf('club', 'trading') }),
  group('club', 'interest'),
  group('trading', 'team', {
    metadata: {
      annotations: { 'voice-recording/manager': 'user:default/mona' },
    },
  }),
  user('carol', {
    metadata: { annotations: { 'voice-recording/manager': 'mark' } },
  }),
  user('dave', { relations: memberOf('sales') }),
  group('sales', 'team', {
    relations: [{ type: 'ownedBy', targetRef: 'user:default/sam' }],
  }),
  user('erin'),
  ...['mona', 'mark', 'sam', 'alice'].map(n => user(n)),
];

const sent: NotificationSendOptions[] = [];

describe.each(databases.eachSupportedId())(
  "the requester's manager approves first (managerApproval) on %s",
  databaseId => {
    let knex: Knex;
    let app: any;
    let caseId: string;
    const callId = randomUUID();
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: { [ALICE]: ['group:default/compliance'] },
      config: { accessRequests: { managerApproval: true, maxExpiryDays: 30 } },
      entities: directory as any,
      sent,
    });
    const { api, as, get, post } = backend;
    const ask = (who: string) =>
      post(who, '/access-requests', {
        caseId,
        reason: 'client complaint',
        rights: ['playback'],
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });

    beforeAll(async () => {
      ({ app, knex } = await backend.start());
      const audio = await backend.storeRecording(
        'recordings/test/m.opus',
        new Int16Array(8000 * 2),
      );
      const now = new Date().toISOString();
      await new ConversationSearchStore(knex).insertFinished([
        {
          id: callId,
          number: '+32470999000',
          userRef: ref('zoe'),
          startedAt: now,
          sipCallId: `t-${callId}`,
          participants: [],
          metadata: {},
          dtmf: [],
          state: 'finished',
          captureSource: 'test',
          createdAt: now,
          updatedAt: now,
          ...audio,
        },
      ]);
      const c = await post(ALICE, '/cases', {
        title: 'Client Y',
        label: { title: 'Client Y', colour: '#1976d2' },
      });
      caseId = c.body.id;
      await request(app)
        .put(`${api}/conversations/${callId}/labels/${c.body.label.id}`)
        .set(as(ALICE))
        .expect(200);
    });

    afterAll(async () => {
      await backend.stop();
    });

    it("takes effect only after the manager's approval, then the admin's", async () => {
      sent.length = 0;
      const created = await ask(ref('bob'));
      expect(created.status).toBe(201);
      const id = created.body.id;
      expect(created.body.managerRef).toBe(ref('mona'));
      expect(sent.map(n => n.recipients)).toEqual([
        { type: 'entity', entityRef: [ref('mona')] },
        { type: 'entity', entityRef: ['group:default/compliance'] },
      ]);
      expect(sent[0].payload.link).toBe(
        `/voice-recording/workflows/requests/${id}`,
      );

      const early = await post(ALICE, `/access-requests/${id}/approve`);
      expect(early.status).toBe(409);
      expect(early.body.error.message).toMatch(
        /waits for the approval of its requester's manager \(user:default\/mona\)/,
      );
      // only the manager approves as the manager
      expect(
        (await post(ref('mark'), `/access-requests/${id}/manager-approve`))
          .status,
      ).toBe(403);
      expect(
        (await post(ALICE, `/access-requests/${id}/manager-approve`)).status,
      ).toBe(403);
      // the manager sees it (the decision page) and in their list
      expect((await get(ref('mona'), `/access-requests/${id}`)).status).toBe(
        200,
      );
      expect((await get(ref('mark'), `/access-requests/${id}`)).status).toBe(
        404,
      );
      const toApprove = await get(
        ref('mona'),
        '/me/access-requests?as=manager',
      );
      expect(toApprove.body.items.map((r: any) => r.id)).toEqual([id]);

      const byManager = await post(
        ref('mona'),
        `/access-requests/${id}/manager-approve`,
        {
          comment: 'yes, he handles this client',
        },
      );
      expect(byManager.status).toBe(200);
      expect(byManager.body).toMatchObject({
        state: 'pending',
        managerApprovedBy: ref('mona'),
        managerComment: 'yes, he handles this client',
      });
      expect(sent[2]).toMatchObject({
        recipients: { entityRef: ['group:default/compliance'] },
        payload: { title: 'Access request approved by the manager: Client Y' },
      });
      // approved by the manager only: no access yet
      expect(
        (await get(ref('bob'), `/conversations/${callId}/audio`)).status,
      ).toBe(404);
      expect(
        (await post(ref('mona'), `/access-requests/${id}/manager-approve`))
          .status,
      ).toBe(409);

      const approved = await post(ALICE, `/access-requests/${id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body.state).toBe('approved');
      expect(
        (await get(ref('bob'), `/conversations/${callId}/audio`)).status,
      ).toBe(200);
      const audit = await knex('vr_audit_log').where({
        action: 'access-request-manager-approve',
        target_id: id,
      });
      expect(audit.map(r => r.actor_ref)).toEqual([ref('mona')]);
    });

    it('lets the manager reject, with a comment', async () => {
      const created = await ask(ref('carol'));
      expect(created.body.managerRef).toBe(ref('mark'));
      const id = created.body.id;
      const noComment = await post(
        ref('mark'),
        `/access-requests/${id}/manager-reject`,
      );
      expect(noComment.status).toBe(400);
      expect(noComment.body.error.message).toMatch(/^comment: Required/);
      const rejected = await post(
        ref('mark'),
        `/access-requests/${id}/manager-reject`,
        {
          comment: 'not her client',
        },
      );
      expect(rejected.body).toMatchObject({
        state: 'rejected',
        decidedBy: ref('mark'),
        decisionComment: 'not her client',
      });
      expect((await post(ALICE, `/access-requests/${id}/approve`)).status).toBe(
        409,
      );
    });

    it('refuses an expiration beyond the configured maxExpiryDays (30), which the request form is told', async () => {
      const at = (days: number) =>
        post(ref('bob'), '/access-requests', {
          caseId,
          reason: 'client complaint',
          expiresAt: new Date(Date.now() + days * 86_400_000).toISOString(),
        });
      const late = await at(30.01);
      expect(late.status).toBe(400);
      expect(late.body.error.message).toMatch(
        /^expiresAt: must be at most 30 days ahead/,
      );
      expect((await at(29.9)).status).toBe(201);
      expect((await get(ref('bob'), '/requestable-cases')).body).toEqual({
        items: [{ id: caseId, title: 'Client Y' }],
        maxExpiryDays: 30,
      });
    });

    it("finds the team group's owner, and refuses a request without a manager", async () => {
      expect((await ask(ref('dave'))).body.managerRef).toBe(ref('sam'));
      const none = await ask(ref('erin'));
      expect(none.status).toBe(400);
      expect(none.body.error.message).toMatch(
        /^requester: no manager of user:default\/erin is in the catalog/,
      );
      expect(
        await knex('vr_access_requests').where({ requester_ref: ref('erin') }),
      ).toHaveLength(0);
    });
  },
);
