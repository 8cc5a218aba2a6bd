import { randomUUID } from 'node:crypto';
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import {
  binary,
  caseTestBackend,
  finishedCall,
  tone,
  userRef as ref,
  zipManifest,
} from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = ref('alice'); // admin (compliance), creates the cases
const OWEN = ref('owen'); // owns a case (set in the table: an owner no longer admin)
const BOB = ref('bob'); // trading; no request
const CAROL = ref('carol'); // granted list only
const DAVE = ref('dave'); // granted playback
const ERIN = ref('erin'); // granted list + label
const FRANK = ref('frank'); // granted playback, expired
const GRACE = ref('grace'); // granted playback, revoked
const HENRY = ref('henry'); // rejected
const ZOE = ref('zoe'); // the recorded user whose calls are in the case

const GROUPS: Record<string, string[]> = {
  [ALICE]: ['group:default/compliance'],
  [BOB]: ['group:default/trading'],
};

const sent: NotificationSendOptions[] = [];
const conv = finishedCall;

describe.each(databases.eachSupportedId())(
  'cases, labels and access requests on %s',
  databaseId => {
    let knex: Knex;
    let app: any;
    const caseCalls: Conversation[] = [];
    let otherCall: Conversation;
    let caseId: string;
    let labelId: string;
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: GROUPS,
      sent,
    });
    const { api, as, get, post, actions } = backend;
    const inDays = (d: number) =>
      new Date(Date.now() + d * 86_400_000).toISOString();

    /** A request by `who` for `rights`, decided by alice (`approve`/`reject`) or not. */
    const requestAccess = async (
      who: string,
      rights: string[],
      decision?: 'approve' | 'reject',
    ) => {
      const res = await post(who, '/access-requests', {
        caseId,
        reason: `investigation of ${who}`,
        rights,
        expiresAt: inDays(7),
      });
      expect(res.status).toBe(201);
      if (decision) {
        const d = await post(
          ALICE,
          `/access-requests/${res.body.id}/${decision}`,
          {
            comment:
              decision === 'reject'
                ? 'not needed for your role'
                : 'ok for a week',
          },
        );
        expect(d.status).toBe(200);
      }
      return res.body.id as string;
    };

    beforeAll(async () => {
      ({ app, knex } = await backend.start());
      const audio = await backend.storeRecording(
        'recordings/test/case-call.opus',
        tone(3),
      );
      for (let i = 0; i < 3; i++)
        caseCalls.push(conv(`2026-03-0${i + 1}T09:30:00.000Z`, audio));
      otherCall = conv('2026-03-05T09:30:00.000Z', audio);
      await new ConversationSearchStore(knex).insertFinished([
        ...caseCalls,
        otherCall,
      ]);
    });

    afterAll(async () => {
      await backend.stop();
    });

    it('lets admins create a case with a new label and label three calls', async () => {
      const res = await post(ALICE, '/cases', {
        title: 'Client X complaint',
        description: 'Calls of client X with five employees',
        label: { title: 'Client X', colour: '#D32F2F' },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        title: 'Client X complaint',
        status: 'open',
        ownerRef: ALICE,
        label: { title: 'Client X', colour: '#d32f2f' },
        access: {
          list: { mode: 'none', refs: [] },
          playback: { mode: 'none', refs: [] },
          label: { mode: 'owner', refs: [] },
        },
      });
      caseId = res.body.id;
      labelId = res.body.label.id;
      for (const c of caseCalls) {
        const put = await request(app)
          .put(`${api}/conversations/${c.id}/labels/${labelId}`)
          .set(as(ALICE));
        expect(put.status).toBe(200);
        expect(put.body).toEqual({
          changed: true,
          labels: [
            { id: labelId, title: 'Client X', colour: '#d32f2f', caseId },
          ],
        });
      }
      expect((await actions('case-create')).map(r => r.target_id)).toEqual([
        caseId,
      ]);
      expect((await actions('label-create')).map(r => r.target_id)).toEqual([
        labelId,
      ]);
      expect(await actions('conversation-label-add')).toHaveLength(3);

      // lists and details carry the label; the case and label filters select the calls
      const list = await get(ALICE, `/conversations?case=${caseId}`);
      expect(list.body.total).toBe(3);
      expect(list.body.items[0].labels).toEqual([
        { id: labelId, title: 'Client X', colour: '#d32f2f', caseId },
      ]);
      expect(
        (await get(ALICE, `/conversations?label=${labelId}`)).body.total,
      ).toBe(3);
      const all = await get(ALICE, '/conversations');
      expect(
        all.body.items.find((c: any) => c.id === otherCall.id).labels,
      ).toEqual([]);
      expect(
        (await get(ALICE, `/conversations/${caseCalls[0].id}`)).body.labels,
      ).toHaveLength(1);
      expect((await get(ALICE, '/labels')).body.items).toEqual([
        expect.objectContaining({ id: labelId, caseId }),
      ]);
      expect(
        (await get(ALICE, '/cases')).body.items.map((c: any) => c.id),
      ).toEqual([caseId]);

      // the export of the case names its label in the manifest
      const zip = await binary(
        request(app)
          .post(`${api}/conversations/export`)
          .set(as(ALICE))
          .send({ case: caseId }),
      );
      expect(zip.status).toBe(200);
      expect(
        zipManifest(zip.body).conversations.map((c: any) => [c.id, c.labels]),
      ).toEqual(caseCalls.map(c => [c.id, 'Client X']));
    });

    it('does not tell a recorded user that their call is in a case they have no right on', async () => {
      const mine = await get(ZOE, '/conversations');
      expect(mine.body.total).toBe(4);
      expect(mine.body.items.map((c: any) => c.labels)).toEqual([
        [],
        [],
        [],
        [],
      ]);
      const details = await get(ZOE, `/conversations/${caseCalls[0].id}`);
      expect(details.status).toBe(200);
      expect(details.body.labels).toEqual([]);
    });

    it('does not tell a standard user of cases they have no right on: no label, no case; the request form gets open cases by id and title only', async () => {
      for (const who of [BOB, ZOE]) {
        expect((await get(who, '/labels')).body).toEqual({ items: [] });
        expect((await get(who, '/cases')).body).toEqual({ items: [] });
        expect((await get(who, '/cases?status=open')).body).toEqual({
          items: [],
        });
        // one case: as if it did not exist (an unknown id answers the same), audited
        const one = await get(who, `/cases/${caseId}`);
        const unknown = await get(who, `/cases/${randomUUID()}`);
        expect([one.status, unknown.status]).toEqual([404, 404]);
        expect(one.body.error.message).toBe(`case ${caseId} not found`);
        const denied = await actions('permission-denied');
        const target = `${who} case ${caseId}`;
        expect(
          denied
            .map(r => `${r.actor_ref} ${r.target_type} ${r.target_id}`)
            .filter(t => t === target),
        ).toHaveLength(1);
        // to request access: every open case's id and title, nothing else
        const form = await get(who, '/requestable-cases');
        expect(form.status).toBe(200);
        expect(form.body).toEqual({
          items: [{ id: caseId, title: 'Client X complaint' }],
          maxExpiryDays: 90,
        });
      }
      // a label of no case is the admins' only
      const free = await post(ALICE, '/labels', {
        title: 'Follow-up',
        colour: '#1976d2',
      });
      expect(free.status).toBe(201);
      expect(
        (await get(ALICE, '/labels')).body.items.map((l: any) => l.title),
      ).toEqual(['Client X', 'Follow-up']);
      expect((await get(BOB, '/labels')).body.items).toEqual([]);
      // the admins' views are unchanged: every case, with who is selected
      expect((await get(ALICE, `/cases/${caseId}`)).status).toBe(200);
      expect((await get(ALICE, '/requestable-cases')).body.items).toEqual([
        { id: caseId, title: 'Client X complaint' },
      ]);
      await knex('vr_labels').where({ id: free.body.id }).delete();
    });

    it('answers 400 naming the field for invalid cases, labels and requests; 403 for non-admins', async () => {
      const bad = async (
        who: string,
        url: string,
        body: object,
        field: RegExp,
      ) => {
        const res = await post(who, url, body);
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(field);
      };
      await bad(
        ALICE,
        '/cases',
        { title: 'T', label: { title: 'L', colour: 'red' } },
        /^label\.colour: must be a colour/,
      );
      await bad(
        ALICE,
        '/cases',
        { label: { title: 'L2', colour: '#000000' } },
        /^title: Required/,
      );
      await bad(
        ALICE,
        '/cases',
        { title: 'T' },
        /^labelId: give an existing label/,
      );
      await bad(
        ALICE,
        '/cases',
        {
          title: 'T',
          label: { title: 'L3', colour: '#000000' },
          access: { list: { mode: 'selected' } },
        },
        /^access\.list\.refs: name at least one/,
      );
      await bad(
        ALICE,
        '/labels',
        { title: '', colour: '#000000' },
        /^title: must not be empty/,
      );
      await bad(
        BOB,
        '/access-requests',
        { caseId, reason: 'x', expiresAt: '2020-01-01T00:00:00Z' },
        /^expiresAt: must be in the future/,
      );
      // at most voiceRecording.accessRequests.maxExpiryDays (default 90) ahead
      await bad(
        BOB,
        '/access-requests',
        { caseId, reason: 'x', expiresAt: inDays(90.01) },
        /^expiresAt: must be at most 90 days ahead \(voiceRecording\.accessRequests\.maxExpiryDays\), not after 20/,
      );
      await bad(
        BOB,
        '/access-requests',
        { caseId, reason: ' ', expiresAt: inDays(1) },
        /^reason: must not be empty/,
      );
      await bad(
        BOB,
        '/access-requests',
        { caseId: randomUUID(), reason: 'r', expiresAt: inDays(1) },
        /^caseId: case .* not found/,
      );
      // refused writes are audited with their target
      const refused = await actions('request-refused');
      expect(
        refused.some(r => r.target_type === 'case' && r.actor_ref === BOB),
      ).toBe(true);
      // nothing of the refused case was written (no label L3 either)
      expect((await get(ALICE, '/labels')).body.items).toHaveLength(1);
      expect((await get(ALICE, '/cases')).body.items).toHaveLength(1);
      // a label is one case's
      const dup = await post(ALICE, '/cases', { title: 'Other', labelId });
      expect(dup.status).toBe(409);
      expect(dup.body.error.message).toMatch(/^labelId: /);
      expect(
        (
          await post(BOB, '/cases', {
            title: 'Mine',
            label: { title: 'B', colour: '#00ff00' },
          })
        ).status,
      ).toBe(403);
      expect(
        (await post(BOB, '/labels', { title: 'B', colour: '#00ff00' })).status,
      ).toBe(403);
      expect(
        (
          await request(app)
            .patch(`${api}/cases/${caseId}`)
            .set(as(BOB))
            .send({ status: 'closed' })
        ).status,
      ).toBe(403);
    });

    it('sends a request to the approvers and the decision to the requester', async () => {
      sent.length = 0;
      const id = await requestAccess(HENRY, ['playback']);
      expect(sent).toEqual([
        {
          recipients: {
            type: 'entity',
            entityRef: ['group:default/compliance'],
          },
          payload: expect.objectContaining({
            title: 'Access request to decide: Client X complaint',
            link: `/voice-recording/workflows/requests/${id}`,
          }),
        },
      ]);
      // rejection needs a comment
      const noComment = await post(ALICE, `/access-requests/${id}/reject`, {});
      expect(noComment.status).toBe(400);
      expect(noComment.body.error.message).toMatch(/^comment: Required/);
      // the requester cannot decide, nor can a standard user
      expect((await post(HENRY, `/access-requests/${id}/approve`)).status).toBe(
        403,
      );
      const rejected = await post(ALICE, `/access-requests/${id}/reject`, {
        comment: 'not your desk',
      });
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({
        state: 'rejected',
        decidedBy: ALICE,
        decisionComment: 'not your desk',
      });
      expect(sent[1]).toMatchObject({
        recipients: { type: 'entity', entityRef: [HENRY] },
        payload: {
          title: 'Your access request to "Client X complaint" was rejected',
        },
      });
      // decided once only
      expect((await post(ALICE, `/access-requests/${id}/approve`)).status).toBe(
        409,
      );
      const mine = await get(HENRY, '/me/access-requests');
      expect(mine.body.items).toEqual([
        expect.objectContaining({
          id,
          state: 'rejected',
          decisionComment: 'not your desk',
          caseTitle: 'Client X complaint',
        }),
      ]);
      // others' requests are not shown to a standard user
      expect((await get(BOB, `/access-requests/${id}`)).status).toBe(404);
      expect((await get(BOB, '/access-requests')).status).toBe(403);
      expect((await get(ALICE, `/access-requests/${id}`)).status).toBe(200);
    });

    describe('rights on every endpoint', () => {
      const labelPath = (c: Conversation) =>
        `${api}/conversations/${c.id}/labels/${labelId}`;
      /** What `who` can do with the case's calls, endpoint by endpoint. */
      const rights = async (who: string) => {
        const c = caseCalls[0];
        const list = await get(who, `/conversations?case=${caseId}`);
        const all = await get(who, '/conversations?limit=500');
        const details = await get(who, `/conversations/${c.id}`);
        const audio = await get(who, `/conversations/${c.id}/audio`);
        const playback = await post(who, `/conversations/${c.id}/playback`, {
          format: 'ogg',
        });
        const download = await get(who, `/conversations/${c.id}/download`);
        const waveform = await get(
          who,
          `/conversations/${c.id}/waveform?points=100`,
        );
        // the label: removed when allowed (the call leaves the case: its remover, unless
        // an admin, no longer sees it), then put back by an admin
        const remove = await request(app).delete(labelPath(c)).set(as(who));
        if (remove.status === 200) {
          expect(remove.body).toEqual({ labels: [], changed: true });
          if (who !== ALICE)
            expect((await get(who, `/conversations/${c.id}`)).status).toBe(404);
          expect(
            (await request(app).put(labelPath(c)).set(as(ALICE))).status,
          ).toBe(200);
        }
        expect(list.status).toBe(200);
        // list, count and the unfiltered list agree
        expect(list.body.items).toHaveLength(list.body.total);
        expect(all.body.items.filter((i: any) => i.labels.length).length).toBe(
          list.body.total,
        );
        return {
          listed: list.body.total,
          details: details.status,
          playable: details.body.audio?.playable,
          audio: audio.status,
          waveform: waveform.status,
          playback: playback.status,
          download: download.status,
          label: remove.status,
        };
      };

      beforeAll(async () => {
        await requestAccess(CAROL, ['list'], 'approve');
        await requestAccess(DAVE, ['playback'], 'approve');
        await requestAccess(ERIN, ['list', 'label'], 'approve');
        const frank = await requestAccess(FRANK, ['playback'], 'approve');
        await knex('vr_access_requests')
          .where({ id: frank })
          .update({ expires_at: new Date(Date.now() - 60_000) });
      });

      it('shows a standard user the case and its label once a request grants a right (list, play back or label), not when expired or rejected', async () => {
        const seen = async (who: string) => {
          const cases = await get(who, '/cases');
          const labels = await get(who, '/labels');
          const one = await get(who, `/cases/${caseId}`);
          return {
            cases: cases.body.items.map((c: any) => c.id),
            labels: labels.body.items.map((l: any) => l.id),
            one: one.status,
          };
        };
        const granted = { cases: [caseId], labels: [labelId], one: 200 };
        const nothing = { cases: [], labels: [], one: 404 };
        expect(await seen(CAROL)).toEqual(granted); // list
        expect(await seen(DAVE)).toEqual(granted); // playback
        expect(await seen(ERIN)).toEqual(granted); // list + label
        expect(await seen(FRANK)).toEqual(nothing); // expired
        expect(await seen(HENRY)).toEqual(nothing); // rejected
        expect(await seen(BOB)).toEqual(nothing);
        // the modes, not who is selected
        expect((await get(CAROL, `/cases/${caseId}`)).body.access).toEqual({
          list: { mode: 'none' },
          playback: { mode: 'none' },
          label: { mode: 'owner' },
        });
        // the label right alone (granted on a request, without list) shows it too
        const labelOnly = await requestAccess(BOB, ['label'], 'approve');
        expect(await seen(BOB)).toEqual(granted);
        // and no more once revoked
        expect(
          (await post(ALICE, `/access-requests/${labelOnly}/revoke`)).status,
        ).toBe(200);
        expect(await seen(BOB)).toEqual(nothing);
      });

      it("decides the same in memory, for other plugins' authorize calls (apply-conditions)", async () => {
        const conversation = (
          who: string,
          right: string,
          id = caseCalls[0].id,
        ) => ({
          resourceRef: id,
          resourceType: 'voice-recording-conversation',
          conditions: {
            rule: 'HAS_CASE_RIGHT',
            resourceType: 'voice-recording-conversation',
            params: { claims: [who], right },
          },
        });
        const labelRight = (who: string) => ({
          resourceRef: caseId,
          resourceType: 'voice-recording-case',
          conditions: {
            rule: 'HAS_CASE_LABEL_RIGHT',
            resourceType: 'voice-recording-case',
            params: { claims: [who] },
          },
        });
        const asked = [
          conversation(CAROL, 'list'),
          conversation(CAROL, 'playback'),
          conversation(DAVE, 'playback'),
          conversation(DAVE, 'playback', otherCall.id),
          conversation(FRANK, 'playback'),
          conversation(HENRY, 'list'),
          labelRight(ERIN),
          labelRight(CAROL),
        ];
        const res = await request(app)
          .post(`${api}/.well-known/backstage/permissions/apply-conditions`)
          .set('Authorization', mockCredentials.service.header())
          .send({ items: asked.map((a, i) => ({ id: String(i), ...a })) });
        expect(res.status).toBe(200);
        expect(res.body.items.map((i: any) => i.result)).toEqual([
          'ALLOW',
          'DENY',
          'ALLOW',
          'DENY', // not in the case
          'DENY', // expired
          'DENY', // rejected
          'ALLOW',
          'DENY',
        ]);
      });

      it('admins: everything', async () => {
        expect(await rights(ALICE)).toEqual({
          listed: 3,
          details: 200,
          playable: true,
          audio: 200,
          waveform: 200,
          playback: 204,
          download: 200,
          label: 200,
        });
      });

      it('the case owner (a standard user): list, play back, label; no download (admins only)', async () => {
        await knex('vr_cases')
          .where({ id: caseId })
          .update({ owner_ref: OWEN });
        try {
          expect(await rights(OWEN)).toEqual({
            listed: 3,
            details: 200,
            playable: true,
            audio: 200,
            waveform: 200,
            playback: 204,
            download: 403,
            label: 200,
          });
        } finally {
          await knex('vr_cases')
            .where({ id: caseId })
            .update({ owner_ref: ALICE });
        }
      });

      it('granted list only: listed and details, not played back nor labelled', async () => {
        expect(await rights(CAROL)).toEqual({
          listed: 3,
          details: 200,
          playable: false,
          audio: 404,
          waveform: 404,
          playback: 404,
          download: 403,
          label: 403,
        });
      });

      it('granted playback: listed, played back; not labelled', async () => {
        expect(await rights(DAVE)).toEqual({
          listed: 3,
          details: 200,
          playable: true,
          audio: 200,
          waveform: 200,
          playback: 204,
          download: 403,
          label: 403,
        });
      });

      it('granted list and label: listed and labelled, not played back', async () => {
        expect(await rights(ERIN)).toEqual({
          listed: 3,
          details: 200,
          playable: false,
          audio: 404,
          waveform: 404,
          playback: 404,
          download: 403,
          label: 200,
        });
        expect(
          (await actions('conversation-label-remove')).map(r => r.actor_ref),
        ).toContain(ERIN);
      });

      it.each([
        ['expired', FRANK],
        ['rejected', HENRY],
        ['without a request', BOB],
      ])('%s: nothing', async (_what, who) => {
        expect(await rights(who)).toEqual({
          listed: 0,
          details: 404,
          playable: undefined,
          audio: 404,
          waveform: 404,
          playback: 404,
          download: 403,
          label: 403,
        });
      });

      it("filters the admins' list by requester (a user's entity ref, validated)", async () => {
        const of = async (q: string) => {
          const res = await get(ALICE, `/access-requests?${q}`);
          expect(res.status).toBe(200);
          return res.body.items.map((r: any) => [r.requesterRef, r.state]);
        };
        expect(await of(`requester=${encodeURIComponent(CAROL)}`)).toEqual([
          [CAROL, 'approved'],
        ]);
        // a short ref, any case
        expect(await of('requester=Dave')).toEqual([[DAVE, 'approved']]);
        expect(await of('requester=henry&state=approved')).toEqual([]);
        expect(await of('requester=henry')).toEqual([[HENRY, 'rejected']]);
        for (const [bad, message] of [
          [
            'group:default/trading',
            /^requester: group:default\/trading is not a user/,
          ],
          ['', /^requester: /],
          ['user:', /^requester: "user:" is not an entity ref/],
        ] as const) {
          const res = await get(
            ALICE,
            `/access-requests?requester=${encodeURIComponent(bad)}`,
          );
          expect(res.status).toBe(400);
          expect(res.body.error.message).toMatch(message);
        }
        // admins only
        expect(
          (
            await get(
              BOB,
              `/access-requests?requester=${encodeURIComponent(BOB)}`,
            )
          ).status,
        ).toBe(403);
      });

      it('an expired request reads expired, its expiry is audited once and notified', async () => {
        const mine = await get(FRANK, '/me/access-requests');
        expect(sent).toContainEqual({
          recipients: { type: 'entity', entityRef: [FRANK] },
          payload: expect.objectContaining({
            title: 'Your access to "Client X complaint" ended',
          }),
        });
        expect(mine.body.items.map((r: any) => r.state)).toEqual(['expired']);
        await get(FRANK, '/me/access-requests');
        const expiries = await actions('access-request-expire');
        expect(expiries.map(r => r.target_id)).toEqual([mine.body.items[0].id]);
        // it cannot be revoked or decided any more
        expect(
          (
            await post(
              ALICE,
              `/access-requests/${mine.body.items[0].id}/revoke`,
            )
          ).status,
        ).toBe(409);
        expect(
          (await get(ALICE, '/access-requests?state=expired')).body.total,
        ).toBe(1);
      });

      it('revoked: access ends at once (even for the audio of a player that just played)', async () => {
        const id = await requestAccess(GRACE, ['playback'], 'approve');
        const c = caseCalls[1];
        expect((await get(GRACE, `/conversations/${c.id}/audio`)).status).toBe(
          200,
        );
        sent.length = 0;
        const revoked = await post(ALICE, `/access-requests/${id}/revoke`, {
          comment: 'case handed over',
        });
        expect(revoked.body).toMatchObject({
          state: 'revoked',
          revokedBy: ALICE,
          revokeComment: 'case handed over',
        });
        expect(sent[0]).toMatchObject({ recipients: { entityRef: [GRACE] } });
        expect((await get(GRACE, `/conversations/${c.id}/audio`)).status).toBe(
          404,
        );
        expect(await rights(GRACE)).toEqual({
          listed: 0,
          details: 404,
          playable: undefined,
          audio: 404,
          waveform: 404,
          playback: 404,
          download: 403,
          label: 403,
        });
        const audited = (await actions('access-request-revoke')).map(
          r => r.target_id,
        );
        expect(audited).toContain(id);
      });

      it('the case settings: selected groups, everyone, and a closed case', async () => {
        const patch = (body: object) =>
          request(app)
            .patch(`${api}/cases/${caseId}`)
            .set(as(ALICE))
            .send(body);
        // list: the trading group (bob is a member); playback: nobody
        expect(
          (
            await patch({
              access: {
                list: { mode: 'selected', refs: ['group:default/trading'] },
              },
            })
          ).status,
        ).toBe(200);
        expect(await rights(BOB)).toMatchObject({
          listed: 3,
          details: 200,
          playable: false,
          audio: 404,
          waveform: 404,
          label: 403,
        });
        // who is selected: for admins; standard users see the modes
        expect((await get(ALICE, `/cases/${caseId}`)).body.access.list).toEqual(
          {
            mode: 'selected',
            refs: ['group:default/trading'],
          },
        );
        expect((await get(BOB, `/cases/${caseId}`)).body.access).toEqual({
          list: { mode: 'selected' },
          playback: { mode: 'none' },
          label: { mode: 'owner' },
        });
        expect((await get(BOB, '/cases')).body.items[0].access.list).toEqual({
          mode: 'selected',
        });
        // the selected group's member sees the case and its label; others not
        expect((await get(BOB, '/labels')).body.items).toEqual([
          expect.objectContaining({ id: labelId, caseId }),
        ]);
        expect((await get(HENRY, '/labels')).body.items).toEqual([]);
        // playback: everyone (which lists too); label: bob selected
        expect(
          (
            await patch({
              access: {
                playback: { mode: 'everyone' },
                label: { mode: 'selected', refs: ['bob'] },
              },
            })
          ).status,
        ).toBe(200);
        expect(await rights(HENRY)).toMatchObject({
          listed: 3,
          playable: true,
          audio: 200,
          waveform: 200,
          label: 403,
        });
        // everyone may play it back: everyone sees the case
        expect(
          (await get(HENRY, '/cases')).body.items.map((c: any) => c.id),
        ).toEqual([caseId]);
        expect(await rights(BOB)).toMatchObject({
          listed: 3,
          playable: true,
          audio: 200,
          waveform: 200,
          label: 200,
        });
        // closed: the case gives nothing any more, grants included
        const closed = await patch({ status: 'closed' });
        expect(closed.body.status).toBe('closed');
        for (const who of [BOB, HENRY, DAVE])
          expect(await rights(who)).toMatchObject({
            listed: 0,
            details: 404,
            audio: 404,
            waveform: 404,
            label: 403,
          });
        expect((await actions('case-close')).map(r => r.target_id)).toEqual([
          caseId,
        ]);
        // nor shows itself to them, nor is it offered in the request form
        for (const who of [BOB, HENRY, DAVE]) {
          expect((await get(who, '/cases')).body.items).toEqual([]);
          expect((await get(who, '/labels')).body.items).toEqual([]);
          expect((await get(who, '/requestable-cases')).body.items).toEqual([]);
        }
        expect((await get(ALICE, '/cases?status=closed')).body.items).toEqual([
          expect.objectContaining({ id: caseId }),
        ]);
        const refused = await post(HENRY, '/access-requests', {
          caseId,
          reason: 'r',
          expiresAt: inDays(1),
        });
        expect(refused.status).toBe(400);
        expect(refused.body.error.message).toMatch(
          /^caseId: case "Client X complaint" is closed/,
        );
      });

      it('audits every step', async () => {
        const counts: Record<string, number> = {};
        for (const a of [
          'access-request-create',
          'access-request-approve',
          'access-request-reject',
          'access-request-revoke',
          'access-request-expire',
          'case-update',
        ])
          counts[a] = (await actions(a)).length;
        expect(counts).toEqual({
          'access-request-create': 7,
          'access-request-approve': 6,
          'access-request-reject': 1,
          'access-request-revoke': 2,
          'access-request-expire': 1,
          'case-update': 2,
        });
        const approve = (await actions('access-request-approve'))[0];
        const details =
          typeof approve.details === 'string'
            ? JSON.parse(approve.details)
            : approve.details;
        expect(details).toMatchObject({
          caseId,
          requesterRef: CAROL,
          rights: ['list'],
          comment: 'ok for a week',
        });
      });
    });
  },
);
