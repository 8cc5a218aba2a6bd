import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { RecordingAlarmsStore } from './RecordingAlarmsStore';
import { openRecordingStores } from './__testUtils__/recordingStores';
import { refusalOf } from './__testUtils__/refusalOf';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const DAY = 24 * 3600_000;
const t0 = new Date('2026-12-01T09:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe.each(databases.eachSupportedId())(
  'recording alarms store on %s',
  databaseId => {
    let knex: Knex;
    let store: RecordingAlarmsStore;
    let bobId: string;
    let carolId: string;

    beforeAll(async () => {
      const s = await openRecordingStores(databases, databaseId);
      knex = s.knex;
      store = new RecordingAlarmsStore(knex);
      bobId = (await s.addNumber('+32470000001', 'user:default/bob')).id;
      carolId = (await s.addNumber('+32470000002', 'user:default/carol')).id;
    });
    afterAll(() => knex.destroy());

    const silent = (numberId: string, hours: number) => ({
      kind: 'silent-number' as const,
      severity: 'failed' as const,
      numberId,
      number: numberId === bobId ? '+32470000001' : '+32470000002',
      summary: `No recorded call for ${hours} expected-recording hours`,
      figures: { silentExpectedHours: hours, thresholdHours: 24 },
    });

    it('raises one alarm per kind and subject, re-raises it once a day, resolves it', async () => {
      const first = await store.raise(silent(bobId, 25), t0, DAY);
      expect(first.outcome).toBe('raised');
      expect(first.alarm).toMatchObject({
        kind: 'silent-number',
        state: 'open',
        severity: 'failed',
        numberId: bobId,
        number: '+32470000001',
        ownerRef: 'user:default/bob',
        raisedAt: t0.toISOString(),
        lastRaisedAt: t0.toISOString(),
        figures: { silentExpectedHours: 25, thresholdHours: 24 },
      });
      // an hour later: the same alarm with the new figures, not re-raised
      const again = await store.raise(silent(bobId, 26), at(3600_000), DAY);
      expect(again.outcome).toBe('unchanged');
      expect(again.alarm.id).toBe(first.alarm.id);
      expect(again.alarm.figures).toMatchObject({ silentExpectedHours: 26 });
      expect(again.alarm.lastRaisedAt).toBe(t0.toISOString());
      // a day later: re-raised, once
      const daily = await store.raise(silent(bobId, 40), at(DAY), DAY);
      expect(daily.outcome).toBe('reraised');
      expect(daily.alarm.lastRaisedAt).toBe(at(DAY).toISOString());
      expect(
        (await store.raise(silent(bobId, 40), at(DAY + 1), DAY)).outcome,
      ).toBe('unchanged');
      // the database refuses a second unresolved alarm of the same kind and subject: a
      // unique index on open_key. The refusal is matched by its message (see refusalOf).
      const refusal = await refusalOf(
        knex('vr_recording_alarms').insert({
          id: '00000000-0000-4000-8000-0000000000aa',
          kind: 'silent-number',
          subject: bobId,
          state: 'open',
          severity: 'failed',
          summary: 'dup',
          raised_at: t0,
          last_raised_at: t0,
          open_key: `silent-number:${bobId}`,
        }),
      );
      expect(refusal).toMatch(/unique|duplicate/i);

      const resolved = await store.resolve(first.alarm.id, at(DAY + 2));
      expect(resolved).toMatchObject({
        state: 'resolved',
        resolvedAt: at(DAY + 2).toISOString(),
      });
      // twice: nothing to resolve (another instance did)
      expect(await store.resolve(first.alarm.id, at(DAY + 3))).toBeUndefined();
      // the problem again: a new alarm
      const next = await store.raise(silent(bobId, 25), at(2 * DAY), DAY);
      expect(next.outcome).toBe('raised');
      expect(next.alarm.id).not.toBe(first.alarm.id);
      await store.resolve(next.alarm.id, at(2 * DAY + 1));
    });

    it('acknowledges an unresolved alarm with a comment, not a resolved one; no re-raise once acknowledged', async () => {
      const { alarm } = await store.raise(silent(carolId, 30), t0, DAY);
      const ack = await store.acknowledge(
        alarm.id,
        'user:default/Alice',
        'Operator ticket 42',
        at(60_000),
      );
      expect(ack.outcome).toBe('acknowledged');
      if (ack.outcome !== 'acknowledged') throw new Error('unreachable');
      expect(ack.before.state).toBe('open');
      expect(ack.alarm).toMatchObject({
        state: 'acknowledged',
        acknowledgedBy: 'user:default/alice',
        acknowledgeComment: 'Operator ticket 42',
        acknowledgedAt: at(60_000).toISOString(),
      });
      expect(
        (await store.raise(silent(carolId, 50), at(2 * DAY), DAY)).outcome,
      ).toBe('unchanged');
      expect((await store.openAlarmsOf([carolId, bobId])).get(carolId)).toEqual(
        [expect.objectContaining({ id: alarm.id, state: 'acknowledged' })],
      );
      await store.resolve(alarm.id, at(3 * DAY));
      const late = await store.acknowledge(
        alarm.id,
        'user:default/alice',
        'x',
        at(4 * DAY),
      );
      expect(late.outcome).toBe('resolved');
      expect(
        (
          await store.acknowledge(
            '00000000-0000-4000-8000-000000000000',
            'user:default/alice',
            'x',
            t0,
          )
        ).outcome,
      ).toBe('not-found');
      expect(await store.openAlarmsOf([carolId])).toEqual(new Map());
    });

    it('lists by state, kind and number (unresolved first) with paging; a recorder alarm has no number', async () => {
      const idle = await store.raise(
        {
          kind: 'idle-recorder',
          severity: 'warning',
          recorderInstance: 'siprec@host-b',
          summary: 'No call for 45 minutes while its peers took 12',
          figures: { idleMinutes: 45, peerCalls: 12 },
        },
        at(5 * DAY),
        DAY,
      );
      expect(idle.alarm.recorderInstance).toBe('siprec@host-b');
      expect(idle.alarm.numberId).toBeUndefined();
      const all = await store.list({});
      expect(all.totalCount).toBe(4);
      expect(all.items[0].id).toBe(idle.alarm.id);
      expect(all.items.slice(1).map(a => a.state)).toEqual([
        'resolved',
        'resolved',
        'resolved',
      ]);
      const page = await store.list({
        state: ['resolved'],
        limit: 2,
        offset: 2,
      });
      expect(page).toMatchObject({ totalCount: 3 });
      expect(page.items).toHaveLength(1);
      expect((await store.list({ numberId: bobId })).totalCount).toBe(2);
      expect((await store.list({ kind: ['idle-recorder'] })).items).toEqual([
        idle.alarm,
      ]);
      expect((await store.unresolved()).map(a => a.id)).toEqual([
        idle.alarm.id,
      ]);
      // the number's alarms in a period: those unresolved at some time in it
      expect(
        (await store.alarmsOfNumber(bobId, at(DAY + 3), at(2 * DAY))).length,
      ).toBe(0);
      expect(
        (await store.alarmsOfNumber(bobId, at(DAY), at(3 * DAY))).length,
      ).toBe(2);
    });
  },
);
