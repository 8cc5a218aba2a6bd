import { randomUUID } from 'node:crypto';
import { mockCredentials, TestDatabases } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { NumberSettings, TimeSlot } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import request from 'supertest';
import { KnexAuditLogStore, KnexNumbersStore } from '../../database';
import { RecordingAlarmsStore } from '../../database/RecordingAlarmsStore';
import { RecordingSignalsStore } from '../../database/RecordingSignalsStore';
import { RecordingAlarmNotifier } from '../../notifiers/RecordingAlarmNotifier';
import { AuditRecorder } from '../AuditRecorder';
import { policyServices } from '../__testUtils__/caseTestBackend';
import {
  ADMINS,
  ALICE,
  BOB,
  NotificationsTestBackend,
  startNotificationsTestBackend,
} from '../__testUtils__/notificationsTestBackend';
import {
  conversationRow,
  createNumberAddedAt,
  numberSettings as settings,
  OFFICE_HOURS,
} from '../__testUtils__/recordedNumbers';
import { readRecordingAlarmsConfig } from './alarmsConfig';
import { RecordingAlarmsService } from './RecordingAlarmsService';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const HOUR = 3_600_000;
const MINUTE = 60_000;

const WEEKDAYS: TimeSlot[] = [OFFICE_HOURS];
const WEEKENDS: TimeSlot[] = [
  { weekdays: [6, 7], start: '08:00', end: '18:00' },
];

/**
 * Monday 2 November 2026, 08:00 in Brussels (CET, UTC+1). With weekdays 08:00-18:00 a
 * number is expected to be recorded 10 hours a day: 24 expected hours after Monday
 * 08:00 is Wednesday 12:00 local, 11:00 UTC.
 */
const MONDAY_8 = Date.parse('2026-11-02T07:00:00.000Z');
const WEDNESDAY_NOON = Date.parse('2026-11-04T11:00:00.000Z');
const at = (ms: number) => new Date(ms);

describe.each(databases.eachSupportedId())(
  'recording alarms on %s',
  databaseId => {
    let backend: NotificationsTestBackend;
    let knex: Knex;
    let service: RecordingAlarmsService;
    const ids: Record<string, string> = {};

    const api = (who: string) => backend.as(who);

    /** The admins' recording-alarm notifications as alice reads them, oldest first. */
    const alarmNotifications = () =>
      backend.notificationsOf(ALICE, 'voice-recording-recording-alarm');

    const call = async (
      numberId: string,
      startedAt: number,
      extra: Record<string, unknown> = {},
    ) => {
      const row = conversationRow(numberId, at(startedAt), {
        ended_at: at(startedAt + MINUTE),
        duration_ms: MINUTE,
        ...extra,
      });
      await knex('vr_conversations').insert(row);
      return row.id;
    };

    const auditRows = (action: string) =>
      knex('vr_audit_log').where({ action }).orderBy('id');

    beforeAll(async () => {
      backend = await startNotificationsTestBackend({
        databases,
        databaseId,
        // evaluated by the tests with their own clock, not by the scheduler
        config: { recordingHealth: { alarms: { enabled: false } } },
        // the suite's real policy: alice is an admin by her group, bob a standard user
        features: [policyServices({ [ALICE]: [ADMINS] }).permissions],
      });
      knex = backend.knex;
      const captured = backend.services;
      const numbers = new KnexNumbersStore(knex);
      const add = async (
        key: string,
        number: string,
        s: NumberSettings,
        slots: TimeSlot[],
      ) => {
        // added long before the controlled clock's start
        const n = await createNumberAddedAt(knex, {
          number,
          userRef: BOB,
          createdAt: at(MONDAY_8 - 30 * 24 * HOUR),
          settings: s,
          slots,
        });
        ids[key] = n.id;
      };
      await add('silent', '+32470000001', settings(), WEEKDAYS);
      await add(
        'private',
        '+32470000002',
        settings({ statusMode: 'manual', activeStatus: 'private' }),
        WEEKDAYS,
      );
      await add('weekends', '+32470000003', settings(), WEEKENDS);
      // the last recorded call of each: Monday 08:00 local
      for (const key of ['silent', 'private', 'weekends'])
        await call(ids[key], MONDAY_8);

      const audit = new AuditRecorder(
        captured.auditor,
        new KnexAuditLogStore(knex),
        captured.logger,
      );
      service = new RecordingAlarmsService({
        alarms: new RecordingAlarmsStore(knex),
        signals: new RecordingSignalsStore(knex),
        numbers,
        notifier: new RecordingAlarmNotifier(
          captured.notifications,
          [ADMINS],
          captured.logger,
          audit,
        ),
        audit,
        config: readRecordingAlarmsConfig(new ConfigReader({})),
        logger: captured.logger,
      });
    });

    afterAll(async () => {
      await backend?.stop();
    });

    it('raises a silent-number alarm after 24 expected-recording hours, not before; not for a number in private mode or outside its schedule', async () => {
      const before = await service.evaluate(at(WEDNESDAY_NOON - MINUTE));
      expect(before.raised).toEqual([]);
      expect(await alarmNotifications()).toEqual([]);

      const after = await service.evaluate(at(WEDNESDAY_NOON + MINUTE));
      expect(after.raised).toEqual([
        expect.objectContaining({
          kind: 'silent-number',
          state: 'open',
          severity: 'failed',
          numberId: ids.silent,
          number: '+32470000001',
          ownerRef: BOB,
        }),
      ]);
      expect(after.raised[0].summary).toMatch(
        /^No recorded call for 24 expected-recording hours \(threshold 24\)/,
      );
      // the private-mode number and the weekend number accrued nothing on weekdays
      const open = await api(ALICE).get(
        '/api/voice-recording/health/alarms?state=open',
      );
      expect(open.status).toBe(200);
      expect(open.body.totalCount).toBe(1);
      expect(open.body.items.map((a: any) => a.numberId)).toEqual([ids.silent]);

      const sent = await alarmNotifications();
      expect(sent).toHaveLength(1);
      expect(sent[0].payload).toMatchObject({
        title: 'Silent number: +32470000001',
        link: `/voice-recording/health/numbers/${ids.silent}`,
        severity: 'high',
      });
      expect(sent[0].origin).toBe('plugin:voice-recording');
      expect(await auditRows('recording-alarm-raise')).toEqual([
        expect.objectContaining({ target_id: after.raised[0].id }),
      ]);
    });

    it('re-raises it once a day while it lasts (one notification a day, not one per evaluation)', async () => {
      for (const ms of [5 * MINUTE, HOUR, 6 * HOUR, 23 * HOUR])
        expect(await service.evaluate(at(WEDNESDAY_NOON + ms))).toEqual({
          raised: [],
          reraised: [],
          resolved: [],
        });
      expect(await alarmNotifications()).toHaveLength(1);

      const nextDay = await service.evaluate(
        at(WEDNESDAY_NOON + 24 * HOUR + MINUTE),
      );
      expect(nextDay.reraised.map(a => a.numberId)).toEqual([ids.silent]);
      expect(nextDay.reraised[0].lastRaisedAt).toBe(
        at(WEDNESDAY_NOON + 24 * HOUR + MINUTE).toISOString(),
      );
      expect(
        (await service.evaluate(at(WEDNESDAY_NOON + 24 * HOUR + 10 * MINUTE)))
          .reraised,
      ).toEqual([]);
      const sent = await alarmNotifications();
      expect(sent.map(n => n.payload.title)).toEqual([
        'Silent number: +32470000001',
        'Silent number: +32470000001 (still)',
      ]);
      expect(sent[1].payload.description).toMatch(
        /^No recorded call for 34 expected-recording hours/,
      );
      expect(await auditRows('recording-alarm-reraise')).toHaveLength(1);
    });

    it('lists alarms for admins only, with filters', async () => {
      const res = await api(ALICE).get(
        `/api/voice-recording/health/alarms?kind=silent-number&numberId=${ids.silent}&state=open,acknowledged`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(1);
      expect(
        (
          await api(ALICE).get(
            '/api/voice-recording/health/alarms?kind=refusals',
          )
        ).body,
      ).toEqual({ items: [], totalCount: 0 });
      const bad = await api(ALICE).get(
        '/api/voice-recording/health/alarms?state=closed',
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/^state/);
      const denied = await api(BOB).get('/api/voice-recording/health/alarms');
      expect(denied.status).toBe(403);
      // the catalog module reads them (the numbers' recording health); the network does not
      const asService = (subject: string) =>
        request(backend.server)
          .get('/api/voice-recording/health/alarms?state=open,acknowledged')
          .set(
            'Authorization',
            mockCredentials.service.header({
              onBehalfOf: mockCredentials.service(subject),
            } as any),
          );
      const catalog = await asService('plugin:catalog');
      expect(catalog.status).toBe(200);
      expect(catalog.body.items.map((a: any) => a.numberId)).toEqual([
        ids.silent,
      ]);
      expect((await asService('external:mobile-network')).status).toBe(403);
    });

    it('is acknowledged by an admin with a comment (audited): 400 without one, 403 for a standard user', async () => {
      const [alarm] = (
        await api(ALICE).get('/api/voice-recording/health/alarms?state=open')
      ).body.items;
      const url = `/api/voice-recording/health/alarms/${alarm.id}/acknowledge`;

      const noComment = await api(ALICE).post(url, {});
      expect(noComment.status).toBe(400);
      expect(noComment.body.error.message).toMatch(/^comment: /);
      const blank = await api(ALICE).post(url, { comment: '   ' });
      expect(blank.status).toBe(400);
      expect(blank.body.error.message).toMatch(/^comment: /);

      const denied = await api(BOB).post(url, { comment: 'not mine' });
      expect(denied.status).toBe(403);
      expect(
        (await knex('vr_recording_alarms').where({ id: alarm.id }).first())
          .state,
      ).toBe('open');

      const ok = await api(ALICE).post(url, {
        comment: 'Operator ticket 4711: forking of the new SIM',
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        id: alarm.id,
        state: 'acknowledged',
        acknowledgedBy: ALICE,
        acknowledgeComment: 'Operator ticket 4711: forking of the new SIM',
      });
      const [row] = await auditRows('recording-alarm-acknowledge');
      expect(row.actor_ref).toBe(ALICE);
      expect(JSON.parse(row.details)).toMatchObject({
        kind: 'silent-number',
        numberId: ids.silent,
        comment: 'Operator ticket 4711: forking of the new SIM',
        outcome: 'succeeded',
      });
      // an acknowledged alarm is not notified again the next day
      expect(
        (await service.evaluate(at(WEDNESDAY_NOON + 48 * HOUR + MINUTE)))
          .reraised,
      ).toEqual([]);
      expect(await alarmNotifications()).toHaveLength(2);
    });

    it('is resolved when calls come through again (a resolved notification); then acknowledging is a 409', async () => {
      const resumed = WEDNESDAY_NOON + 48 * HOUR + HOUR;
      await call(ids.silent, resumed);
      const r = await service.evaluate(at(resumed + 5 * MINUTE));
      expect(r.resolved).toEqual([
        expect.objectContaining({
          numberId: ids.silent,
          state: 'resolved',
          resolvedAt: at(resumed + 5 * MINUTE).toISOString(),
        }),
      ]);
      const sent = await alarmNotifications();
      expect(sent).toHaveLength(3);
      expect(sent[2].payload).toMatchObject({
        title: 'Resolved: silent number +32470000001',
        link: `/voice-recording/health/numbers/${ids.silent}`,
        severity: 'normal',
      });
      expect(sent[2].payload.description).toMatch(
        /^Calls are recorded again\./,
      );
      const [resolveRow] = await auditRows('recording-alarm-resolve');
      expect(JSON.parse(resolveRow.details)).toMatchObject({
        numberId: ids.silent,
        resolution: 'Calls are recorded again.',
      });
      const late = await api(ALICE).post(
        `/api/voice-recording/health/alarms/${r.resolved[0].id}/acknowledge`,
        { comment: 'too late' },
      );
      expect(late.status).toBe(409);
      expect(
        (await api(ALICE).get('/api/voice-recording/health/alarms?state=open'))
          .body.totalCount,
      ).toBe(0);
    });

    it('flags refusals over the share, calls failing quality in a row, and an idle recorder among busy peers; resolves them once calls show the problem gone', async () => {
      const t = WEDNESDAY_NOON + 72 * HOUR; // Saturday: the weekday numbers accrue nothing
      // refusals: 6 refused (no-capacity) and 2 recorded calls of the silent number
      for (let i = 0; i < 6; i++)
        await knex('vr_refused_sessions').insert({
          id: randomUUID(),
          at: at(t - (i + 1) * 10 * MINUTE),
          recorded_number_id: ids.silent,
          number: '+32470000001',
          participants: '[]',
          reason: 'no-capacity',
          sip_call_id: `refused-${i}`,
          response_code: 503,
          capture_source: 'siprec',
        });
      // and refusals the rules asked for (private mode) do not count
      for (let i = 0; i < 6; i++)
        await knex('vr_refused_sessions').insert({
          id: randomUUID(),
          at: at(t - (i + 1) * 10 * MINUTE),
          recorded_number_id: ids.private,
          number: '+32470000002',
          participants: '[]',
          reason: 'manual-private',
          sip_call_id: `private-${i}`,
          response_code: 403,
          capture_source: 'siprec',
        });
      // quality: the weekend number's last 3 checked calls failed, on recorder a;
      // recorder b took calls an hour ago, none since; recorder a took 10 in the last 30 min
      for (let i = 0; i < 3; i++)
        await call(ids.weekends, t - (i + 1) * 5 * MINUTE, {
          quality_verdict: 'failed',
          capture_instance: 'siprec@a',
        });
      for (let i = 0; i < 7; i++)
        await call(ids.silent, t - (i + 1) * 3 * MINUTE - 30_000, {
          quality_verdict: 'ok',
          capture_instance: 'siprec@a',
        });
      await call(ids.silent, t - 60 * MINUTE, { capture_instance: 'siprec@b' });

      const r = await service.evaluate(at(t));
      const byKind = Object.fromEntries(r.raised.map(a => [a.kind, a]));
      expect(Object.keys(byKind).sort()).toEqual([
        'failed-quality',
        'idle-recorder',
        'refusals',
      ]);
      expect(byKind.refusals).toMatchObject({
        numberId: ids.silent,
        severity: 'warning',
        figures: expect.objectContaining({ refusedCalls: 6, calls: 15 }),
      });
      expect(byKind.refusals.summary).toBe(
        '6 of 15 calls refused in the last 24 hours (40%, threshold 20%): no-capacity 6',
      );
      expect(byKind['failed-quality']).toMatchObject({
        numberId: ids.weekends,
        summary:
          'The last 3 checked calls failed the quality check (3 of 3 in the last 24 hours)',
      });
      expect(byKind['idle-recorder']).toMatchObject({
        recorderInstance: 'siprec@b',
        summary:
          'Recorder siprec@b took no call for 60 minutes while its peers took 10 (threshold 30 minutes)',
      });
      expect(byKind['idle-recorder'].numberId).toBeUndefined();
      const titles = (await alarmNotifications())
        .slice(3)
        .map(n => n.payload.title)
        .sort();
      expect(titles).toEqual([
        'Calls failing the quality check: +32470000003',
        'Calls refused: +32470000001',
        'Idle recorder: recorder siprec@b',
      ]);

      // no calls at all for a while: the refusals and quality alarms stay (no evidence)
      const quiet = await service.evaluate(at(t + 30 * HOUR));
      expect(quiet.resolved.map(a => a.kind)).toEqual([]);

      // calls again: a passing call of the weekend number, recorder b takes one, and the
      // silent number's calls are recorded
      await call(ids.weekends, t + 31 * HOUR, {
        quality_verdict: 'ok',
        capture_instance: 'siprec@b',
      });
      const back = await service.evaluate(at(t + 31 * HOUR + MINUTE));
      expect(back.resolved.map(a => a.kind).sort()).toEqual([
        'failed-quality',
        'idle-recorder',
      ]);
      await call(ids.silent, t + 31 * HOUR + 2 * MINUTE);
      const refusalsGone = await service.evaluate(
        at(t + 31 * HOUR + 3 * MINUTE),
      );
      expect(refusalsGone.resolved.map(a => a.kind)).toEqual(['refusals']);
    });
  },
);
