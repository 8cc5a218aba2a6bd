import { TestDatabases } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  NumberSettings,
  readCsvCell,
  TimeSlot,
} from '@mvr/plugin-voice-recording-common';
import { parse as parseCsv } from 'csv-parse/sync';
import { Knex } from 'knex';
import { CoverageStore } from '../../database/CoverageStore';
import { KnexConversationsStore } from '../../database/ConversationsStore';
import { KnexNumbersStore, NumberRecord } from '../../database/NumbersStore';
import { RecordingAlarmsStore } from '../../database/RecordingAlarmsStore';
import {
  caseTestBackend,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';
import { CoverageJob } from './CoverageJob';
import { recordCall, refuseCall } from './__testUtils__/coverageCalls';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = ref('alice'); // admin (compliance)
const BOB = ref('bob'); // standard user
const HOUR = 3600;
/** A display name that tries a spreadsheet formula and a script. */
const HOSTILE =
  '=HYPERLINK("http://evil.example","x")<script>alert(1)</script>';

const user = (name: string, displayName: string, groups: string[]): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName }, memberOf: groups },
  relations: groups.map(g => ({
    type: 'memberOf',
    targetRef: `group:default/${g}`,
  })),
});
const group = (name: string, members: string[]): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default' },
  spec: { type: 'team', children: [] },
  relations: members.map(m => ({ type: 'hasMember', targetRef: ref(m) })),
});
const entities: Entity[] = [
  user('zoe', HOSTILE, ['trading']),
  user('yann', 'Yann Sales', ['sales']),
  user('xavier', 'Xavier Trader', ['trading']),
  user('will', 'Will Private', ['sales']),
  user('alice', 'Alice Admin', ['compliance']),
  group('trading', ['zoe', 'xavier']),
  group('sales', ['yann', 'will']),
  group('compliance', ['alice']),
];

const settings: NumberSettings = {
  beep: false,
  smsOnStatusChange: false,
  statusMode: 'auto',
  activeStatus: 'professional',
  selfManaged: false,
  simultaneousCalls: true,
  timeZone: 'Europe/Brussels',
};
const officeHours: TimeSlot[] = [
  { weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
];
const PERIOD = 'from=2026-11-02&to=2026-11-06'; // Monday to Friday

/**
 * The Recording health coverage routes and the assurance report in the plugin, on a
 * real database, with the suite's real policy: coverage computed by the job at a
 * controlled instant (Friday 6 November 2026, 21:00 CET), read over Monday-Friday.
 */
describe.each(databases.eachSupportedId())(
  'recording health coverage routes on %s',
  databaseId => {
    const sent: NotificationSendOptions[] = [];
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: { [ALICE]: ['group:default/compliance'] },
      entities,
      // the routes read what this test computes; no job or evaluation of their own
      config: {
        recordingHealth: {
          coverage: { enabled: false },
          alarms: { enabled: false },
        },
      },
      sent,
    });
    const { get, actions } = backend;
    let knex: Knex;
    const n: Record<string, NumberRecord> = {};

    beforeAll(async () => {
      ({ knex } = await backend.start());
      const numbers = new KnexNumbersStore(knex);
      const calls = new KnexConversationsStore(knex);
      const add = async (
        key: string,
        number: string,
        owner: string,
        s: NumberSettings = settings,
      ) => {
        n[key] = await numbers.create({
          number,
          userRef: ref(owner),
          mvrActive: true,
          fmu: false,
          settings: s,
          slots: officeHours,
        });
        await knex('vr_numbers')
          .where('id', n[key].id)
          .update({ created_at: new Date('2026-01-01T00:00:00Z') });
      };
      await add('failing', '+32470000011', 'zoe');
      await add('silent', '+32470000012', 'yann');
      await add('alarmed', '+32470000013', 'xavier');
      await add('private', '+32470000014', 'will', {
        ...settings,
        statusMode: 'manual',
        activeStatus: 'private',
      });
      // failing: recorded every day, one failed quality check and a refusal for lack of capacity
      for (const d of ['02', '03', '04', '05', '06'])
        await recordCall(calls, n.failing, `2026-11-${d}T09:00:00Z`, 60, 'ok');
      await recordCall(calls, n.failing, '2026-11-02T10:00:00Z', 30, 'failed');
      await refuseCall(calls, n.failing, '2026-11-02T11:00:00Z', 'no-capacity');
      // silent: its last call weeks before
      await recordCall(calls, n.silent, '2026-10-01T09:00:00Z', 60, 'ok');
      // alarmed: fine figures but an open alarm
      for (const d of ['02', '03', '04', '05', '06'])
        await recordCall(calls, n.alarmed, `2026-11-${d}T12:00:00Z`, 120, 'ok');
      // private: refused by the rule
      await refuseCall(
        calls,
        n.private,
        '2026-11-03T09:00:00Z',
        'manual-private',
      );

      const job = new CoverageJob({
        store: new CoverageStore(knex),
        numbers,
        timeZone: 'Europe/Brussels',
        backfillDays: 60,
      });
      await job.refresh(new Date('2026-11-06T20:00:00Z'));

      const alarms = new RecordingAlarmsStore(knex);
      await alarms.raise(
        {
          kind: 'refusals',
          severity: 'failed',
          numberId: n.alarmed.id,
          number: n.alarmed.number,
          summary: 'Refusals <b>over</b> the share',
        },
        new Date('2026-11-02T12:00:00Z'),
        24 * 3_600_000,
      );
      // an alarm of the silent number raised and acknowledged on Monday, resolved Tuesday
      const { alarm } = await alarms.raise(
        {
          kind: 'silent-number',
          severity: 'warning',
          numberId: n.silent.id,
          number: n.silent.number,
          summary: 'No recorded call for 30 expected-recording hours',
        },
        new Date('2026-11-02T08:00:00Z'),
        24 * 3_600_000,
      );
      await alarms.acknowledge(
        alarm.id,
        ALICE,
        '=cmd|"/c calc"!A1 operator asked',
        new Date('2026-11-02T09:00:00Z'),
      );
      await alarms.resolve(alarm.id, new Date('2026-11-03T09:00:00Z'));
    });

    afterAll(() => backend.stop());

    it('sums coverage overall and per owner group for an admin', async () => {
      const r = await get(ALICE, `/health/summary?${PERIOD}`);
      expect(r.status).toBe(200);
      expect(r.body.from).toBe('2026-11-02');
      expect(r.body.to).toBe('2026-11-06');
      expect(r.body.overall).toMatchObject({
        numbers: 4,
        // three numbers on office hours, five days of ten hours
        expectedSeconds: 3 * 5 * 10 * HOUR,
        recordedCalls: 6 + 5,
        recordedSeconds: 5 * 60 + 30 + 5 * 120,
        refusedCalls: 2,
        refusedByReason: { 'no-capacity': 1, 'manual-private': 1 },
        failedQualityCalls: 1,
        // failing (failed quality), silent (no call), alarmed (open alarm)
        numbersNeedingAttention: 3,
        openAlarms: 1,
      });
      const groups = Object.fromEntries(
        r.body.groups.map((g: any) => [g.groupRef, g]),
      );
      expect(groups['group:default/trading']).toMatchObject({
        numbers: 2,
        numbersNeedingAttention: 2,
        recordedCalls: 11,
      });
      expect(groups['group:default/sales']).toMatchObject({
        numbers: 2,
        numbersNeedingAttention: 1,
        expectedSeconds: 50 * HOUR,
        recordedCalls: 0,
      });
    });

    it('lists the numbers that need attention first: open alarm, failed figures, silent longest', async () => {
      const r = await get(ALICE, `/health/numbers?${PERIOD}`);
      expect(r.status).toBe(200);
      expect(r.body.totalCount).toBe(4);
      expect(
        r.body.items.map((i: any) => [
          i.number,
          i.attention,
          i.openAlarms.length,
        ]),
      ).toEqual([
        ['+32470000013', 'failed', 1],
        ['+32470000011', 'failed', 0],
        ['+32470000012', 'warning', 0],
        ['+32470000014', 'ok', 0],
      ]);
      const silent = r.body.items[2];
      expect(silent).toMatchObject({
        ownerRef: ref('yann'),
        groupRefs: ['group:default/sales'],
        active: true,
        expectedSeconds: 50 * HOUR,
        recordedCalls: 0,
        lastRecordedCallAt: '2026-10-01T09:00:00.000Z',
      });
      const page = async (q: string) =>
        (await get(ALICE, `/health/numbers?${PERIOD}&${q}`)).body;
      expect((await page('attention=needed')).totalCount).toBe(3);
      expect(
        (await page('attention=warning')).items.map((i: any) => i.number),
      ).toEqual(['+32470000012']);
      expect(
        (await page('group=trading')).items.map((i: any) => i.number),
      ).toEqual(['+32470000013', '+32470000011']);
      expect((await page('q=0012')).items.map((i: any) => i.number)).toEqual([
        '+32470000012',
      ]);
      expect((await page('q=will')).items.map((i: any) => i.number)).toEqual([
        '+32470000014',
      ]);
      const second = await page('limit=1&offset=1');
      expect(second.totalCount).toBe(4);
      expect(second.items.map((i: any) => i.number)).toEqual(['+32470000011']);
    });

    it('shows one number per day with its alarms of the period', async () => {
      const r = await get(ALICE, `/health/numbers/${n.failing.id}?${PERIOD}`);
      expect(r.status).toBe(200);
      expect(r.body.coverage).toMatchObject({
        number: '+32470000011',
        attention: 'failed',
        failedQualityCalls: 1,
      });
      expect(
        r.body.days.map((d: any) => [
          d.day,
          d.expectedSeconds / HOUR,
          d.recordedCalls,
        ]),
      ).toEqual([
        ['2026-11-02', 10, 2],
        ['2026-11-03', 10, 1],
        ['2026-11-04', 10, 1],
        ['2026-11-05', 10, 1],
        ['2026-11-06', 10, 1],
      ]);
      expect(r.body.days[0].refusedByReason).toEqual({ 'no-capacity': 1 });
      const silent = await get(
        ALICE,
        `/health/numbers/${n.silent.id}?${PERIOD}`,
      );
      expect(
        silent.body.alarms.map((a: any) => [a.kind, a.state, a.acknowledgedBy]),
      ).toEqual([['silent-number', 'resolved', ALICE]]);
      expect(silent.body.coverage.openAlarms).toEqual([]);
      expect(
        (
          await get(
            ALICE,
            '/health/numbers/00000000-0000-4000-8000-000000000000',
          )
        ).status,
      ).toBe(404);
    });

    it('refuses a standard user every route, audited', async () => {
      const before = (await actions('permission-denied')).length;
      for (const url of [
        `/health/summary?${PERIOD}`,
        `/health/numbers?${PERIOD}`,
        `/health/numbers/${n.failing.id}`,
        '/health/report?day=2026-11-02&format=csv',
      ]) {
        const r = await get(BOB, url);
        expect([url, r.status]).toEqual([url, 403]);
        expect(JSON.stringify(r.body)).not.toContain('+32470000011');
      }
      const denied = (await actions('permission-denied')).slice(before);
      expect(
        denied.map(d => [d.actor_ref, JSON.parse(d.details).permission]),
      ).toEqual(Array(4).fill([BOB, 'voice-recording.health.read']));
      expect(await actions('health-report-read')).toEqual([]);
    });

    it('answers 400 naming the field for bad parameters', async () => {
      const cases: Array<[string, string]> = [
        ['/health/summary?from=2026-13-01', 'from'],
        ['/health/summary?from=2026-11-06&to=2026-11-02', 'to'],
        ['/health/summary?from=2024-01-01&to=2026-11-02', 'to'],
        ['/health/summary?from=2999-01-01', 'from'],
        ['/health/numbers?attention=maybe', 'attention'],
        ['/health/numbers?limit=0', 'limit'],
        ['/health/numbers?to=yesterday', 'to'],
        [`/health/numbers/${n.failing.id}?from=2026-02-30`, 'from'],
        ['/health/report?day=06/11/2026', 'day'],
        ['/health/report?day=2999-01-01', 'day'],
        ['/health/report?day=2026-11-02&format=pdf', 'format'],
      ];
      for (const [url, field] of cases) {
        const r = await get(ALICE, url);
        expect([url, r.status]).toEqual([url, 400]);
        expect(r.body.error.message).toMatch(new RegExp(`^${field}: `));
      }
    });

    it('writes the day report as CSV with every cell escaped, and audits the reading', async () => {
      const r = await get(ALICE, '/health/report?day=2026-11-02&format=csv');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/csv/);
      expect(r.headers['content-disposition']).toContain(
        'recording-assurance-2026-11-02.csv',
      );
      const rows: Record<string, string>[] = parseCsv(r.text, {
        columns: true,
      });
      expect(rows.map(x => x.number)).toEqual([
        "'+32470000011",
        "'+32470000012",
        "'+32470000013",
        "'+32470000014",
      ]);
      const failing = rows[0];
      // the formula is text to a spreadsheet, and reads back unchanged
      expect(failing.ownerName.startsWith("'=HYPERLINK")).toBe(true);
      expect(readCsvCell(failing.ownerName)).toBe(HOSTILE);
      expect(failing).toMatchObject({
        day: '2026-11-02',
        owner: ref('zoe'),
        expectedSeconds: '36000',
        expected: '10:00',
        recordedCalls: '2',
        recordedSeconds: '90',
        refusedCalls: '1',
        refusedByReason: 'no-capacity=1',
        failedQualityCalls: '1',
        attention: 'failed',
      });
      const silent = rows[1];
      expect(silent.attention).toBe('warning');
      expect(silent.alarms).toContain('silent-number (warning)');
      expect(silent.alarms).toContain(
        `acknowledged 2026-11-02 10:00 by ${ALICE}`,
      );
      expect(silent.alarms).toContain('=cmd|"/c calc"!A1 operator asked');
      expect(silent.alarms).toContain('resolved 2026-11-03 10:00');
      expect(silent.alarms.startsWith("'")).toBe(false);
      expect(rows[2].alarms).toContain('not resolved');
      const [read] = await actions('health-report-read');
      expect(read).toMatchObject({
        actor_ref: ALICE,
        target_type: 'recording-health-report',
        target_id: '2026-11-02',
      });
      expect(JSON.parse(read.details)).toMatchObject({
        day: '2026-11-02',
        format: 'csv',
        numbers: 4,
        alarms: 2,
        outcome: 'succeeded',
      });
    });

    it('writes the day report as printable HTML with every value escaped', async () => {
      const r = await get(ALICE, '/health/report?day=2026-11-02&format=html');
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.headers['content-security-policy']).toBe(
        "default-src 'none'; style-src 'unsafe-inline'",
      );
      const html = r.text;
      expect(html).toContain('@media print');
      expect(html).toContain('Recording assurance report: 2026-11-02');
      expect(html).not.toContain('<script>');
      expect(html).toContain(
        '=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)&lt;script&gt;alert(1)&lt;/script&gt;',
      );
      expect(html).not.toContain('<b>over</b>');
      expect(html).toContain('Refusals &lt;b&gt;over&lt;/b&gt; the share');
      expect(html).toContain('Xavier Trader');
      expect((await actions('health-report-read')).length).toBe(2);
    });
  },
);
