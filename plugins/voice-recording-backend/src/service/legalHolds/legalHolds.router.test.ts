import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import { whereHeld } from '../../database/LegalHoldsStore';
import {
  caseTestBackend,
  finishedCall,
  tone,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';
import { refusalOf } from '../../database/__testUtils__/refusalOf';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = ref('alice'); // admin: places the hold, requests its release
const IVY = ref('ivy'); // admin: the second one, approves
const BOB = ref('bob'); // trader, no admin
const ZOE = ref('zoe'); // the recorded user whose calls are in the case
const ADMINS = 'group:default/compliance';

const GROUPS: Record<string, string[]> = {
  [ALICE]: [ADMINS],
  [IVY]: [ADMINS],
  [BOB]: ['group:default/trading'],
};

const person = (name: string, displayName: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName }, memberOf: [] },
});

const sent: NotificationSendOptions[] = [];

describe.each(databases.eachSupportedId())('legal holds on %s', databaseId => {
  let knex: Knex;
  let app: any;
  const caseCalls: Conversation[] = [];
  let lateCall: Conversation;
  let otherCall: Conversation;
  let caseId: string;
  let labelId: string;
  let holdId: string;
  const backend = caseTestBackend({
    databases,
    databaseId,
    groups: GROUPS,
    sent,
    entities: [person('alice', 'Alice Martin'), person('ivy', 'Ivy Peeters')],
  });
  const { api, as, get, post, actions } = backend;
  const putLabel = (who: string, conversationId: string) =>
    request(app)
      .put(`${api}/conversations/${conversationId}/labels/${labelId}`)
      .set(as(who));
  const removeLabel = (who: string, conversationId: string) =>
    request(app)
      .delete(`${api}/conversations/${conversationId}/labels/${labelId}`)
      .set(as(who));
  /** The ids of the conversations the retention side's SQL predicate calls held. */
  const heldIds = async () =>
    (
      await knex('vr_conversations as c')
        .where(qb => whereHeld(qb, knex))
        .select('c.id')
    )
      .map((r: any) => r.id)
      .sort();
  const heldFlags = async (who: string) => {
    const res = await get(who, '/conversations?limit=100');
    expect(res.status).toBe(200);
    return Object.fromEntries(
      res.body.items.map((c: any) => [c.id, c.legalHold]),
    );
  };

  beforeAll(async () => {
    ({ app, knex } = await backend.start());
    const audio = await backend.storeRecording(
      'recordings/test/held-call.opus',
      tone(2),
    );
    for (let i = 0; i < 2; i++)
      caseCalls.push(finishedCall(`2026-04-0${i + 1}T09:30:00.000Z`, audio));
    lateCall = finishedCall('2026-04-03T09:30:00.000Z', audio);
    otherCall = finishedCall('2026-04-04T09:30:00.000Z', audio);
    await new ConversationSearchStore(knex).insertFinished([
      ...caseCalls,
      lateCall,
      otherCall,
    ]);
    const c = await post(ALICE, '/cases', {
      title: 'Client Y litigation',
      description: 'Court order 2026/17',
      label: { title: 'Client Y', colour: '#7b1fa2' },
    });
    if (c.status !== 201) throw new Error(`case not created: ${c.text}`);
    caseId = c.body.id;
    labelId = c.body.label.id;
    for (const call of caseCalls) {
      const put = await putLabel(ALICE, call.id);
      if (put.status !== 200) throw new Error(`not labelled: ${put.text}`);
    }
  });

  afterAll(async () => {
    await backend.stop();
  });

  it('refuses every route to non-admins (403, audited)', async () => {
    const someId = randomUUID();
    const calls = [
      () => get(BOB, '/legal-holds'),
      () => get(BOB, `/legal-holds/${someId}`),
      () => post(BOB, '/legal-holds', { caseId, reason: 'r', reference: 'x' }),
      () =>
        post(BOB, `/legal-holds/${someId}/release-request`, { reason: 'r' }),
      () => post(BOB, `/legal-holds/${someId}/release-approve`),
      () => post(BOB, `/legal-holds/${someId}/release-reject`, { reason: 'r' }),
      () => post(BOB, `/legal-holds/${someId}/release-cancel`),
      () => get(ZOE, '/legal-holds'),
    ];
    for (const call of calls) {
      const res = await call();
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(
        /not allowed: voice-recording\.legal-hold\.manage$/,
      );
    }
    const denied = (await actions('permission-denied')).filter(
      r =>
        JSON.parse(r.details).permission ===
        'voice-recording.legal-hold.manage',
    );
    expect(denied.map(r => r.actor_ref)).toEqual([...Array(7).fill(BOB), ZOE]);
    expect(await knex('vr_legal_holds')).toEqual([]);
  });

  it('answers 400 naming the field and 404 for an unknown case, writing nothing', async () => {
    const bad = async (body: object, field: RegExp, status = 400) => {
      const res = await post(ALICE, '/legal-holds', body);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(field);
    };
    await bad({ caseId, reference: 'R-1' }, /^reason: /);
    await bad({ caseId, reason: '  ', reference: 'R-1' }, /^reason: /);
    await bad({ caseId, reason: 'court order' }, /^reference: /);
    await bad(
      { caseId, reason: 'court order', reference: 'x'.repeat(201) },
      /^reference: /,
    );
    await bad({ caseId: 'nope', reason: 'r', reference: 'R' }, /^caseId: /);
    await bad(
      { caseId: randomUUID(), reason: 'r', reference: 'R' },
      /^caseId: case .* not found$/,
      404,
    );
    await bad(
      { caseId, reason: 'r', reference: 'R', state: 'released' },
      /state|Unrecognized/,
    );
    expect(await knex('vr_legal_holds')).toEqual([]);
    expect(await heldIds()).toEqual([]);
  });

  it('places a hold on a case: audited, told to the admins by display name, one standing hold per case', async () => {
    sent.length = 0;
    const res = await post(ALICE, '/legal-holds', {
      caseId,
      reason: 'Court order: preserve all calls with client Y',
      reference: 'HC-2026-017',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      caseId,
      caseTitle: 'Client Y litigation',
      labelId,
      reference: 'HC-2026-017',
      state: 'active',
      placedBy: ALICE,
      conversationCount: 2,
    });
    holdId = res.body.id;
    const placed = await actions('legal-hold-place');
    expect(placed).toHaveLength(1);
    expect(placed[0]).toMatchObject({
      actor_ref: ALICE,
      target_type: 'legal-hold',
      target_id: holdId,
    });
    expect(JSON.parse(placed[0].details)).toMatchObject({
      caseId,
      reference: 'HC-2026-017',
      reason: 'Court order: preserve all calls with client Y',
      conversationCount: 2,
      outcome: 'succeeded',
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      recipients: { type: 'entity', entityRef: [ADMINS] },
      payload: {
        title: 'Legal hold placed on case "Client Y litigation" (HC-2026-017)',
        description:
          'Alice Martin placed a legal hold: Court order: preserve all calls with client Y',
        topic: 'voice-recording-legal-hold',
      },
    });
    expect(
      (await actions('legal-hold-notification')).map(r => r.target_id),
    ).toEqual([holdId]);

    // a second standing hold on the case: 409, nothing written
    const again = await post(IVY, '/legal-holds', {
      caseId,
      reason: 'again',
      reference: 'HC-2',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(
      /^caseId: case "Client Y litigation" is under legal hold already \(reference HC-2026-017\)/,
    );
    expect(await knex('vr_legal_holds')).toHaveLength(1);

    // list (filters) and one
    const list = await get(IVY, '/legal-holds');
    expect(
      list.body.items.map((h: any) => [h.id, h.conversationCount]),
    ).toEqual([[holdId, 2]]);
    expect((await get(IVY, `/legal-holds?state=released`)).body.items).toEqual(
      [],
    );
    expect(
      (await get(IVY, `/legal-holds?caseId=${caseId}`)).body.items,
    ).toHaveLength(1);
    expect((await get(IVY, '/legal-holds?state=gone')).status).toBe(400);
    expect((await get(IVY, `/legal-holds/${holdId}`)).body).toMatchObject({
      id: holdId,
      conversationCount: 2,
    });
    expect((await get(IVY, `/legal-holds/${randomUUID()}`)).status).toBe(404);
  });

  it('holds every conversation carrying the label, now or later; marks them; the label cannot be removed', async () => {
    // a call labelled after the hold is held too
    expect((await putLabel(ALICE, lateCall.id)).status).toBe(200);
    const held = [...caseCalls.map(c => c.id), lateCall.id].sort();
    expect(await heldIds()).toEqual(held);
    expect(
      (await get(ALICE, `/legal-holds/${holdId}`)).body.conversationCount,
    ).toBe(3);

    // marked in the admins' list and details, with the hold's reference
    const flags = await heldFlags(ALICE);
    expect(flags).toEqual({
      [caseCalls[0].id]: true,
      [caseCalls[1].id]: true,
      [lateCall.id]: true,
      [otherCall.id]: false,
    });
    const detail = await get(ALICE, `/conversations/${caseCalls[0].id}`);
    expect(detail.body.legalHold).toBe(true);
    expect(detail.body.legalHolds).toEqual([
      {
        id: holdId,
        caseId,
        caseTitle: 'Client Y litigation',
        reference: 'HC-2026-017',
        state: 'active',
      },
    ]);
    expect(
      (await get(ALICE, `/conversations/${otherCall.id}`)).body.legalHold,
    ).toBe(false);
    // the legalHold filter of the search (and its negation)
    const ids = async (who: string, q: string) => {
      const res = await get(who, `/conversations?limit=100&${q}`);
      expect(res.status).toBe(200);
      return res.body.items.map((c: any) => c.id).sort();
    };
    expect(await ids(ALICE, 'legalHold=true')).toEqual(held);
    expect(await ids(ALICE, 'legalHold=false')).toEqual([otherCall.id]);
    expect(await ids(ALICE, `legalHold=true&case=${caseId}`)).toEqual(held);
    expect((await get(ALICE, '/conversations?legalHold=maybe')).status).toBe(
      400,
    );
    // the recorded user does not learn of a case they have no right on
    expect(await ids(ZOE, 'legalHold=true')).toEqual([]);
    expect(await ids(ZOE, 'legalHold=false')).toHaveLength(4);
    const mine = await heldFlags(ZOE);
    expect(Object.values(mine)).toEqual([false, false, false, false]);
    const zoeDetail = await get(ZOE, `/conversations/${caseCalls[0].id}`);
    expect(zoeDetail.body.legalHold).toBe(false);
    expect(zoeDetail.body.legalHolds).toBeUndefined();

    // nobody removes the held label: 409 naming the reference, the label stays
    for (const call of [caseCalls[0], lateCall]) {
      const res = await removeLabel(ALICE, call.id);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(
        'labelId: the label is under legal hold (reference HC-2026-017): it cannot be removed until the hold is released',
      );
    }
    expect(
      await knex('vr_conversation_labels').where({ label_id: labelId }),
    ).toHaveLength(3);
    expect(await actions('conversation-label-remove')).toEqual([]);
    const refused = (await actions('request-refused')).filter(r =>
      String(r.details).includes('/labels/'),
    );
    expect(refused).toHaveLength(2);
    // the label itself cannot be deleted under the hold (the table refers to it)
    await expectLabelDeleteRefused(labelId);
  });

  it('tells a standard user with a right on the case that its calls are held, without the hold itself', async () => {
    const patch = await request(app)
      .patch(`${api}/cases/${caseId}`)
      .set(as(ALICE))
      .send({
        access: {
          list: { mode: 'selected', refs: [BOB] },
          playback: { mode: 'none' },
          label: { mode: 'owner' },
        },
      });
    expect(patch.status).toBe(200);
    const flags = await heldFlags(BOB);
    expect(flags).toEqual({
      [caseCalls[0].id]: true,
      [caseCalls[1].id]: true,
      [lateCall.id]: true,
    });
    const detail = await get(BOB, `/conversations/${lateCall.id}`);
    expect(detail.body.legalHold).toBe(true);
    expect(detail.body.legalHolds).toBeUndefined();
    const filtered = await get(BOB, '/conversations?legalHold=true');
    expect(filtered.body.total).toBe(3);
    // still no admin: the holds themselves stay the admins'
    expect((await get(BOB, `/legal-holds/${holdId}`)).status).toBe(403);
  });

  it('releases only with two different admins: the requester cannot approve nor reject; the other approves', async () => {
    // a request needs a reason
    const noReason = await post(
      ALICE,
      `/legal-holds/${holdId}/release-request`,
    );
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/^reason: /);
    // approving a hold whose release nobody requested: 409
    const early = await post(IVY, `/legal-holds/${holdId}/release-approve`);
    expect(early.status).toBe(409);

    sent.length = 0;
    const reqd = await post(ALICE, `/legal-holds/${holdId}/release-request`, {
      reason: 'Case settled, court order lifted',
    });
    expect(reqd.status).toBe(200);
    expect(reqd.body).toMatchObject({
      state: 'release-requested',
      releaseRequestedBy: ALICE,
      releaseReason: 'Case settled, court order lifted',
    });
    expect(sent[0].payload).toMatchObject({
      title:
        'Release of the legal hold on "Client Y litigation" to approve (HC-2026-017)',
      description:
        'Alice Martin asks to release the hold: Case settled, court order lifted. Another admin must approve it.',
      severity: 'high',
    });
    // a second request: 409
    expect(
      (
        await post(IVY, `/legal-holds/${holdId}/release-request`, {
          reason: 'x',
        })
      ).status,
    ).toBe(409);

    // the requester may not approve (nor reject) their own request
    const self = await post(ALICE, `/legal-holds/${holdId}/release-approve`);
    expect(self.status).toBe(403);
    expect(self.body.error.message).toBe(
      'you requested the release of legal hold HC-2026-017: another admin must approve it',
    );
    expect(
      (
        await post(ALICE, `/legal-holds/${holdId}/release-reject`, {
          reason: 'x',
        })
      ).status,
    ).toBe(403);
    // only the requester withdraws
    expect(
      (await post(IVY, `/legal-holds/${holdId}/release-cancel`)).status,
    ).toBe(403);
    const refusals = (await actions('permission-denied')).filter(
      r => r.target_id === holdId && r.actor_ref !== BOB,
    );
    expect(refusals.map(r => r.actor_ref)).toEqual([ALICE, ALICE, IVY]);
    expect(JSON.parse(refusals[0].details).reason).toBe(
      'two admins: the requester of the release',
    );
    // still held while the release is requested: marked, the label stays
    expect(await heldIds()).toHaveLength(3);
    expect((await removeLabel(IVY, lateCall.id)).status).toBe(409);
    expect((await get(IVY, `/legal-holds/${holdId}`)).body.state).toBe(
      'release-requested',
    );

    // the other admin rejects: the hold stands
    const rejected = await post(IVY, `/legal-holds/${holdId}/release-reject`, {
      reason: 'Appeal pending',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body.state).toBe('active');
    expect(rejected.body.releaseRequestedBy).toBeUndefined();
    expect(
      JSON.parse((await actions('legal-hold-release-reject'))[0].details),
    ).toMatchObject({
      requestedBy: ALICE,
      reason: 'Appeal pending',
      outcome: 'succeeded',
    });

    // requested again and withdrawn by its requester
    expect(
      (
        await post(ALICE, `/legal-holds/${holdId}/release-request`, {
          reason: 'Appeal withdrawn',
        })
      ).status,
    ).toBe(200);
    const cancelled = await post(
      ALICE,
      `/legal-holds/${holdId}/release-cancel`,
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('active');

    // requested once more; the second admin approves
    sent.length = 0;
    expect(
      (
        await post(ALICE, `/legal-holds/${holdId}/release-request`, {
          reason: 'Appeal withdrawn, matter closed',
        })
      ).status,
    ).toBe(200);
    const approved = await post(IVY, `/legal-holds/${holdId}/release-approve`, {
      comment: 'Checked with legal',
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      state: 'released',
      releaseRequestedBy: ALICE,
      releasedBy: IVY,
      conversationCount: 0,
    });
    expect(sent.map(n => n.payload.title)).toEqual([
      'Release of the legal hold on "Client Y litigation" to approve (HC-2026-017)',
      'Legal hold on "Client Y litigation" released (HC-2026-017)',
    ]);
    expect(sent[1].payload.description).toBe(
      'Ivy Peeters approved the release requested by Alice Martin: its conversations are no longer held.',
    );
    // approved once only
    expect(
      (await post(IVY, `/legal-holds/${holdId}/release-approve`)).status,
    ).toBe(409);

    // every step audited, in order
    const steps = (
      await knex('vr_audit_log')
        .where('action', 'like', 'legal-hold-%')
        .whereNot('action', 'legal-hold-notification')
        .orderBy('at')
        .orderBy('id')
    ).map(r => `${r.action} ${r.actor_ref}`);
    expect(steps).toEqual([
      `legal-hold-place ${ALICE}`,
      `legal-hold-release-request ${ALICE}`,
      `legal-hold-release-reject ${IVY}`,
      `legal-hold-release-request ${ALICE}`,
      `legal-hold-release-cancel ${ALICE}`,
      `legal-hold-release-request ${ALICE}`,
      `legal-hold-release-approve ${IVY}`,
    ]);
    expect(
      (await actions('legal-hold-notification')).map(
        r => JSON.parse(r.details).event,
      ),
    ).toEqual([
      'placed',
      'release-requested',
      'release-rejected',
      'release-requested',
      'release-cancelled',
      'release-requested',
      'released',
    ]);

    // released: nothing held, not marked, the label can be removed
    expect(await heldIds()).toEqual([]);
    expect(
      (await get(ALICE, '/conversations?legalHold=true')).body.items,
    ).toEqual([]);
    expect(Object.values(await heldFlags(ALICE))).toEqual([
      false,
      false,
      false,
      false,
    ]);
    const removed = await removeLabel(ALICE, lateCall.id);
    expect(removed.status).toBe(200);
    expect(removed.body.changed).toBe(true);

    // the history stays; a new hold on the case can be placed
    const anew = await post(IVY, '/legal-holds', {
      caseId,
      reason: 'New regulator request',
      reference: 'FCA-88',
    });
    expect(anew.status).toBe(201);
    expect(anew.body.conversationCount).toBe(2);
    expect(
      (await get(ALICE, '/legal-holds')).body.items.map((h: any) => [
        h.reference,
        h.state,
      ]),
    ).toEqual([
      ['FCA-88', 'active'],
      ['HC-2026-017', 'released'],
    ]);
    expect(
      (await get(ALICE, '/legal-holds?state=active')).body.items.map(
        (h: any) => h.reference,
      ),
    ).toEqual(['FCA-88']);
    expect(await heldIds()).toEqual(caseCalls.map(c => c.id).sort());
  });

  it('enforces one standing hold per case in the database too', async () => {
    const standing = await knex('vr_legal_holds')
      .whereNot('state', 'released')
      .first();
    expect(standing).toBeDefined();
    // matched by its message (see refusalOf)
    expect(
      await refusalOf(
        knex('vr_legal_holds').insert({
          ...standing,
          id: randomUUID(),
          reference: 'raced',
        }),
      ),
    ).toMatch(/unique|duplicate/i);
  });

  /** The label of a held case cannot be deleted: vr_legal_holds refers to it (RESTRICT). */
  async function expectLabelDeleteRefused(heldLabelId: string) {
    expect(
      await refusalOf(knex('vr_labels').where({ id: heldLabelId }).delete()),
    ).toMatch(/foreign key/i);
    expect(await knex('vr_labels').where({ id: heldLabelId })).toHaveLength(1);
  }
});
