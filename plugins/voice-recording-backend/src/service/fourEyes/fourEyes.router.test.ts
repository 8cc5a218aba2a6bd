import { TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import { AUDIO_DECISION_TTL_MS } from '../conversations/routes';
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

const ALICE = ref('alice'); // admin, flags victor
const VICTOR = ref('victor'); // admin (download, export), flagged four-eyes
const OLGA = ref('olga'); // member of the observer group
const PAUL = ref('paul'); // not an observer
const OBSERVERS = 'group:default/observers';

const GROUPS: Record<string, string[]> = {
  [ALICE]: ['group:default/compliance'],
  [VICTOR]: ['group:default/compliance', OBSERVERS],
  [OLGA]: [OBSERVERS],
};
const sent: NotificationSendOptions[] = [];
const conv = finishedCall; // a call of user:default/zoe, the recorded user

/** Only `Date` is faked: the clock the four-eyes sessions are read at. */
const fakeDateOnly = () =>
  jest.useFakeTimers({
    now: Date.now(),
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);

describe.each(databases.eachSupportedId())(
  'four-eyes access on %s',
  databaseId => {
    let knex: Knex;
    let app: any;
    let labelId: string;
    const calls: Conversation[] = [];
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: GROUPS,
      config: { fourEyes: { sessionMinutes: 30 } },
      userInfo: true,
      sent,
    });
    const { api, as, get, post, actions } = backend;

    const isAudio = (r: request.Response) =>
      /^audio\//.test(String(r.headers['content-type'])) && r.body.length > 0;

    /** What `who` gets from each conversation endpoint (status, and what it showed). */
    const everyEndpoint = async (who: string) => {
      // past the audio route's reuse of a permission decision (AUDIO_DECISION_TTL_MS)
      advance(AUDIO_DECISION_TTL_MS + 1);
      const id = calls[0].id;
      const list = await get(who, '/conversations');
      const detail = await get(who, `/conversations/${id}`);
      const audio = await binary(get(who, `/conversations/${id}/audio`));
      const waveform = await get(who, `/conversations/${id}/waveform`);
      const playback = await post(who, `/conversations/${id}/playback`, {
        format: 'ogg',
      });
      const download = await binary(get(who, `/conversations/${id}/download`));
      const exportAll = await binary(
        request(app).post(`${api}/conversations/export`).set(as(who)).send({}),
      );
      const exportIds = await binary(
        request(app)
          .post(`${api}/conversations/export`)
          .set(as(who))
          .send({ ids: calls.map(c => c.id) }),
      );
      const labelled = await request(app)
        .put(`${api}/conversations/${id}/labels/${labelId}`)
        .set(as(who));
      const unlabelled = await request(app)
        .delete(`${api}/conversations/${id}/labels/${labelId}`)
        .set(as(who));
      const manifestIds: string[] =
        exportIds.status === 200
          ? zipManifest(exportIds.body).conversations.map((c: any) => c.id)
          : [];
      return {
        list: [list.status, list.body.items?.length, list.body.total],
        detail: detail.status,
        audio: [audio.status, isAudio(audio)],
        waveform: waveform.status,
        label: [labelled.status, unlabelled.status],
        playback: playback.status,
        download: [download.status, isAudio(download)],
        export: [
          exportAll.status,
          exportAll.headers['x-voice-recording-count'],
          exportIds.headers['x-voice-recording-not-exported'],
          manifestIds.sort(),
        ],
      };
    };
    const NOTHING = {
      list: [200, 0, 0],
      detail: 404,
      audio: [404, false],
      waveform: 404,
      label: [404, 404],
      playback: 404,
      download: [404, false],
      export: [200, '0', '2', []],
    };
    const everything = () => ({
      list: [200, 2, 2],
      detail: 200,
      audio: [200, true],
      waveform: 200,
      label: [200, 200],
      playback: 204,
      download: [200, true],
      export: [200, '2', '0', calls.map(c => c.id).sort()],
    });

    beforeAll(async () => {
      ({ app, knex } = await backend.start());
      const audio = await backend.storeRecording(
        'recordings/test/call.opus',
        tone(3),
      );
      calls.push(conv('2026-03-01T09:30:00.000Z', audio));
      calls.push(conv('2026-03-02T09:30:00.000Z', audio));
      await new ConversationSearchStore(knex).insertFinished(calls);
      // a label of no case (admins may put it on the calls they see)
      const label = await post(ALICE, '/labels', {
        title: 'Follow-up',
        colour: '#1976d2',
      });
      if (label.status !== 201)
        throw new Error(`POST /labels: ${label.status} ${label.text}`);
      labelId = label.body.id;
      fakeDateOnly();
    });

    afterAll(async () => {
      jest.useRealTimers();
      await backend.stop();
    });

    it('lets admins flag a user with an observer, audited; not the user as their own observer', async () => {
      expect((await get(VICTOR, '/me/four-eyes')).body).toEqual({
        required: false,
        access: true,
        sessionMinutes: 30,
      });
      expect(await everyEndpoint(VICTOR)).toEqual(everything());

      // standard users may not manage the flags
      const refused = await request(app)
        .put(`${api}/four-eyes/users`)
        .set(as(OLGA))
        .send({ userRef: VICTOR, observerRef: OBSERVERS });
      expect(refused.status).toBe(403);
      expect((await get(OLGA, '/four-eyes/users')).status).toBe(403);

      const self = await request(app)
        .put(`${api}/four-eyes/users`)
        .set(as(ALICE))
        .send({ userRef: VICTOR, observerRef: 'Victor' });
      expect(self.status).toBe(400);
      expect(self.body.error.message).toMatch(
        /observerRef: .*other than the user/,
      );
      const bad = await request(app)
        .put(`${api}/four-eyes/users`)
        .set(as(ALICE))
        .send({ userRef: 'group:default/observers', observerRef: OBSERVERS });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^userRef: /);

      const set = await request(app)
        .put(`${api}/four-eyes/users`)
        .set(as(ALICE))
        .send({ userRef: 'victor', observerRef: 'group:default/Observers' });
      expect(set.status).toBe(200);
      expect(set.body).toMatchObject({
        userRef: VICTOR,
        observerRef: OBSERVERS,
        setBy: ALICE,
      });
      expect((await get(ALICE, '/four-eyes/users')).body.items).toEqual([
        expect.objectContaining({ userRef: VICTOR, observerRef: OBSERVERS }),
      ]);
      const audited = await actions('four-eyes-set');
      expect(audited.map(r => [r.actor_ref, r.target_id])).toEqual([
        [ALICE, VICTOR],
      ]);
    });

    it('reveals nothing to the flagged user before an observer confirms', async () => {
      expect((await get(VICTOR, '/me/four-eyes')).body).toEqual({
        required: true,
        observerRef: OBSERVERS,
        access: false,
        sessionMinutes: 30,
      });
      expect(await everyEndpoint(VICTOR)).toEqual(NOTHING);
      // others are not affected
      expect((await get(ALICE, '/conversations')).body.total).toBe(2);
    });

    it('lets the user ask; the observer group is notified; the user and a non-observer cannot confirm', async () => {
      const asked = await post(VICTOR, '/me/four-eyes/sessions');
      expect(asked.status).toBe(201);
      expect(asked.body).toMatchObject({
        userRef: VICTOR,
        observerRef: OBSERVERS,
        state: 'pending',
      });
      const id = asked.body.id;
      expect(sent.at(-1)).toMatchObject({
        recipients: { type: 'entity', entityRef: OBSERVERS },
        payload: { link: `/voice-recording/four-eyes?session=${id}` },
      });
      expect((await actions('four-eyes-ask')).map(r => r.target_id)).toEqual([
        id,
      ]);
      expect((await get(VICTOR, '/me/four-eyes')).body).toMatchObject({
        access: false,
        session: { id, state: 'pending' },
      });

      // victor is in the observer group himself: still not his own observer
      expect((await get(VICTOR, '/four-eyes/sessions')).body.items).toEqual([]);
      const own = await post(VICTOR, `/four-eyes/sessions/${id}/confirm`);
      expect(own.status).toBe(403);
      const stranger = await post(PAUL, `/four-eyes/sessions/${id}/confirm`);
      expect(stranger.status).toBe(403);
      expect((await get(PAUL, `/four-eyes/sessions/${id}`)).status).toBe(404);
      expect((await get(PAUL, '/four-eyes/sessions')).body.items).toEqual([]);
      const denied = await knex('vr_audit_log')
        .where({ action: 'permission-denied', target_id: id })
        .orderBy('at');
      expect(denied.map(r => r.actor_ref)).toEqual([VICTOR, PAUL]);
      expect(await everyEndpoint(VICTOR)).toEqual(NOTHING);

      // olga, a member of the observer group, rejects: still nothing
      expect((await get(OLGA, '/four-eyes/sessions')).body.items).toEqual([
        expect.objectContaining({ id, userRef: VICTOR }),
      ]);
      const rejected = await post(OLGA, `/four-eyes/sessions/${id}/reject`);
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({
        state: 'rejected',
        decidedBy: OLGA,
      });
      expect((await actions('four-eyes-reject')).map(r => r.actor_ref)).toEqual(
        [OLGA],
      );
      expect(sent.at(-1)).toMatchObject({
        recipients: { entityRef: VICTOR },
      });
      expect(
        (await post(OLGA, `/four-eyes/sessions/${id}/confirm`)).status,
      ).toBe(409);
      expect(await everyEndpoint(VICTOR)).toEqual(NOTHING);
    });

    it('opens every endpoint once an observer confirms, for the configured period, then reveals nothing again', async () => {
      const asked = await post(VICTOR, '/me/four-eyes/sessions');
      const id = asked.body.id;
      const confirmed = await post(OLGA, `/four-eyes/sessions/${id}/confirm`);
      expect(confirmed.status).toBe(200);
      expect(confirmed.body).toMatchObject({
        state: 'confirmed',
        decidedBy: OLGA,
      });
      expect(Date.parse(confirmed.body.expiresAt) - Date.now()).toBe(
        30 * 60_000,
      );
      expect(
        (await actions('four-eyes-confirm')).map(r => r.target_id),
      ).toEqual([id]);
      expect((await get(VICTOR, '/me/four-eyes')).body).toMatchObject({
        access: true,
        session: { id, state: 'confirmed' },
      });
      expect(await everyEndpoint(VICTOR)).toEqual(everything());

      // 29 minutes later, still open; at 30 minutes, closed
      advance(29 * 60_000 - 2 * (AUDIO_DECISION_TTL_MS + 1));
      expect((await get(VICTOR, '/conversations')).body.total).toBe(2);
      advance(90_000);
      expect(await everyEndpoint(VICTOR)).toEqual(NOTHING);
      expect((await get(VICTOR, '/me/four-eyes')).body).toMatchObject({
        access: false,
        session: { id, state: 'expired' },
      });
      const expired = await actions('four-eyes-expire');
      expect(expired.map(r => r.target_id)).toEqual([id]);
    });

    const audioUrl = () => `/conversations/${calls[0].id}/audio`;
    const audioRange = async (who: string, range: string) =>
      (await binary(get(who, audioUrl()).set('Range', range))).status;

    it("ends a playback under way at the session's end, although the audio route reuses its decision", async () => {
      const asked = await post(VICTOR, '/me/four-eyes/sessions');
      expect(
        (await post(OLGA, `/four-eyes/sessions/${asked.body.id}/confirm`))
          .status,
      ).toBe(200);
      advance(30 * 60_000 - 5_000);
      expect(await audioRange(VICTOR, 'bytes=0-99')).toBe(206);
      // 6 s later the session is over; the decision above is 6 s old, within its reuse
      advance(6_000);
      expect(6_000).toBeLessThan(AUDIO_DECISION_TTL_MS);
      expect(await audioRange(VICTOR, 'bytes=100-')).toBe(404);
      expect((await get(VICTOR, '/me/four-eyes')).body.access).toBe(false);
    });

    it('lets admins clear the flag, audited', async () => {
      const res = await request(app)
        .delete(`${api}/four-eyes/users/${encodeURIComponent(VICTOR)}`)
        .set(as(ALICE));
      expect(res.status).toBe(204);
      expect((await actions('four-eyes-clear')).map(r => r.target_id)).toEqual([
        VICTOR,
      ]);
      expect(await everyEndpoint(VICTOR)).toEqual(everything());
      const again = await request(app)
        .delete(`${api}/four-eyes/users/${encodeURIComponent(VICTOR)}`)
        .set(as(ALICE));
      expect(again.status).toBe(404);
    });

    it("applies a new flag, and then an observer's confirmation, to a playback under way at once", async () => {
      advance(AUDIO_DECISION_TTL_MS + 1);
      expect(await audioRange(VICTOR, 'bytes=0-99')).toBe(206);
      const set = await request(app)
        .put(`${api}/four-eyes/users`)
        .set(as(ALICE))
        .send({ userRef: VICTOR, observerRef: OBSERVERS });
      expect(set.status).toBe(200);
      // within the reuse of the decision taken before the flag
      expect(await audioRange(VICTOR, 'bytes=100-')).toBe(404);
      const asked = await post(VICTOR, '/me/four-eyes/sessions');
      expect(
        (await post(OLGA, `/four-eyes/sessions/${asked.body.id}/confirm`))
          .status,
      ).toBe(200);
      // within the reuse of the decision taken while blocked
      expect(await audioRange(VICTOR, 'bytes=100-')).toBe(206);
      await request(app)
        .delete(`${api}/four-eyes/users/${encodeURIComponent(VICTOR)}`)
        .set(as(ALICE))
        .expect(204);
    });

    const setFlag = (observerRef: string) =>
      request(app)
        .put(`${api}/four-eyes/users`)
        .set(as(ALICE))
        .send({ userRef: VICTOR, observerRef })
        .expect(200);
    const confirmedSession = async () => {
      advance(1_000); // asked after the sessions before (the latest one is shown)
      const asked = await post(VICTOR, '/me/four-eyes/sessions');
      expect(
        (await post(OLGA, `/four-eyes/sessions/${asked.body.id}/confirm`))
          .status,
      ).toBe(200);
      return asked.body.id as string;
    };
    const blocked = async () => {
      advance(AUDIO_DECISION_TTL_MS + 1);
      const list = await get(VICTOR, '/conversations');
      const detail = await get(VICTOR, `/conversations/${calls[0].id}`);
      return [list.status, list.body.items?.length, detail.status];
    };
    const cancelled = async (id: string) =>
      (await actions('four-eyes-cancel'))
        .filter(r => r.target_id === id)
        .map(r => [r.actor_ref, JSON.parse(r.details)]);

    it('ends a confirmed session when the flag is cleared: a flag set again needs a new confirmation', async () => {
      await setFlag(OBSERVERS);
      const id = await confirmedSession();
      expect(await blocked()).toEqual([200, 2, 200]);

      await request(app)
        .delete(`${api}/four-eyes/users/${encodeURIComponent(VICTOR)}`)
        .set(as(ALICE))
        .expect(204);
      await setFlag(OBSERVERS);
      expect(await blocked()).toEqual([200, 0, 404]);
      expect((await get(VICTOR, '/me/four-eyes')).body).toMatchObject({
        access: false,
        session: { id, state: 'cancelled' },
      });
      expect(await cancelled(id)).toEqual([
        [
          ALICE,
          expect.objectContaining({
            userRef: VICTOR,
            previousState: 'confirmed',
            reason: 'flag-cleared',
          }),
        ],
      ]);

      // a new confirmation opens them again
      await confirmedSession();
      expect(await blocked()).toEqual([200, 2, 200]);
    });

    it('ends a confirmed session when the observer changes, not when the same observer is set again', async () => {
      await setFlag(OBSERVERS);
      const id = await confirmedSession();
      await setFlag(OBSERVERS);
      expect(await blocked()).toEqual([200, 2, 200]);
      expect(await cancelled(id)).toEqual([]);

      await setFlag(PAUL);
      expect(await blocked()).toEqual([200, 0, 404]);
      expect(await cancelled(id)).toEqual([
        [
          ALICE,
          expect.objectContaining({
            previousState: 'confirmed',
            reason: 'observer-changed',
          }),
        ],
      ]);
      await request(app)
        .delete(`${api}/four-eyes/users/${encodeURIComponent(VICTOR)}`)
        .set(as(ALICE))
        .expect(204);
    });
  },
);
