import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { RecordingSignalsStore } from './RecordingSignalsStore';
import { conversationRow } from '../service/__testUtils__/recordedNumbers';
import { openRecordingStores } from './__testUtils__/recordingStores';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-02T14:00:00.000Z');
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR);

/** The facts the alarms are evaluated from, read back on both databases. */
describe.each(databases.eachSupportedId())(
  'recording signals on %s',
  databaseId => {
    let knex: Knex;
    let signals: RecordingSignalsStore;
    let a: string;
    let b: string;
    let c: string;

    const call = (
      numberId: string,
      hoursAgo: number,
      extra: Record<string, unknown> = {},
    ) => knex('vr_conversations').insert(conversationRow(numberId, at(hoursAgo), extra));
    const refusal = (numberId: string, hoursAgo: number, reason: string) =>
      knex('vr_refused_sessions').insert({
        id: randomUUID(),
        at: at(hoursAgo),
        recorded_number_id: numberId,
        number: '+32470000000',
        participants: '[]',
        reason,
        sip_call_id: `refused-${randomUUID()}`,
        response_code: 503,
        capture_source: 'siprec',
      });

    beforeAll(async () => {
      const s = await openRecordingStores(databases, databaseId);
      knex = s.knex;
      signals = new RecordingSignalsStore(knex);
      a = (await s.addNumber('+32470000001', 'user:default/bob')).id;
      b = (await s.addNumber('+32470000002', 'user:default/bob')).id;
      c = (await s.addNumber('+32470000003', 'user:default/bob')).id;
      // a: recent calls; b: one call 10 days ago and a failed recording since;
      // c: none
      await call(a, 30, { capture_instance: 'rec-1', quality_verdict: 'ok' });
      await call(a, 3, {
        capture_instance: 'rec-1',
        quality_verdict: 'failed',
      });
      await call(a, 1, { capture_instance: 'rec-2', state: 'recording' });
      await call(b, 240, { capture_instance: 'rec-2' });
      await call(b, 2, { capture_instance: 'rec-2', state: 'failed' });
      await refusal(a, 5, 'no-capacity');
      await refusal(a, 4, 'no-capacity');
      await refusal(a, 4, 'outside-schedule');
      await refusal(b, 50, 'error');
    });
    afterAll(() => knex.destroy());

    it('the last recorded call of each number: recent ones at once, older ones one by one; a failed recording is no recorded call', async () => {
      const last = await signals.lastRecordedCallOf([a, b, c], at(48));
      expect(Object.fromEntries(last)).toEqual({
        [a]: at(1).toISOString(),
        [b]: at(240).toISOString(),
      });
    });

    it('recorded calls and refusals per number in a window, but the ignored reasons', async () => {
      expect(
        Object.fromEntries(await signals.recordedCallsSince(at(24), at(0))),
      ).toEqual({ [a]: 2 });
      expect(
        Object.fromEntries(
          await signals.refusalsSince(at(24), at(0), ['outside-schedule']),
        ),
      ).toEqual({ [a]: { 'no-capacity': 2 } });
      expect(
        Object.fromEntries(await signals.refusalsSince(at(72), at(0), [])),
      ).toEqual({
        [a]: { 'no-capacity': 2, 'outside-schedule': 1 },
        [b]: { error: 1 },
      });
    });

    it('quality verdicts newest first (a failed recording counts as failed); a passing call after an instant', async () => {
      expect(
        Object.fromEntries(await signals.verdictsSince(at(48), at(0))),
      ).toEqual({ [a]: ['failed', 'ok'], [b]: ['failed'] });
      expect(await signals.hasPassingCallAfter(a, at(31))).toBe(true);
      expect(await signals.hasPassingCallAfter(a, at(29))).toBe(false);
      expect(await signals.hasRecordedCallAfter(b, at(3))).toBe(false);
      expect(await signals.hasRecordedCallAfter(a, at(2))).toBe(true);
    });

    it('recorder instances: calls in the window and the last call in the lookback', async () => {
      expect(await signals.recorderActivity(at(48), at(2), at(0))).toEqual([
        { instance: 'rec-1', calls: 0, lastCallAt: at(3).toISOString() },
        { instance: 'rec-2', calls: 2, lastCallAt: at(1).toISOString() },
      ]);
      expect(await signals.recorderTookCallAfter('rec-1', at(4))).toBe(true);
      expect(await signals.recorderTookCallAfter('rec-1', at(3))).toBe(false);
    });
  },
);
