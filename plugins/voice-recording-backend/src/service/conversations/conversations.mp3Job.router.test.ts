/*
 * The MP3 download of a long call as a derive job (issue 20): the route answers 202 with
 * Retry-After while a process taking archive jobs (here the same backend, with
 * voiceRecording.archive.enabled) builds it; asked again, the file. Short calls are
 * built in the request as before. Real plugin, real queue, real encoder, SQLite and
 * PostgreSQL.
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { readMp3Frames } from '../../audio/mp3';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import {
  binary,
  caseTestBackend,
  finishedCall,
  tone,
  userRef,
} from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const ALICE = userRef('alice');

describe.each(databases.eachSupportedId())('MP3 download as a derive job on %s', databaseId => {
  const backend = caseTestBackend({
    databases,
    databaseId,
    groups: { [ALICE]: ['group:default/compliance'] },
    userInfo: true,
    // this backend takes the archive jobs (a portal-only one would leave them to others)
    config: { archive: { enabled: true, encoderThreads: 1 } },
    sent: [],
  });
  let knex: Knex;

  beforeAll(async () => {
    ({ knex } = await backend.start());
  });
  afterAll(() => backend.stop());

  it('answers 202 with Retry-After for a call of over two minutes, then gives the MP3 its job built', async () => {
    const audio = await backend.storeRecording('recordings/test/long-call.opus', tone(150));
    const call = finishedCall('2026-05-04T09:30:00.000Z', { ...audio, durationMs: 150_000 });
    await new ConversationSearchStore(knex).insertFinished([call]);

    const first = await backend.get(ALICE, `/conversations/${call.id}/download`);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'preparing', retryAfterSeconds: expect.any(Number) });
    expect(Number(first.headers['retry-after'])).toBe(first.body.retryAfterSeconds);
    // asked again while it is built: still one job
    const again = await backend.get(ALICE, `/conversations/${call.id}/download`);
    expect([200, 202]).toContain(again.status);
    const jobs = () => knex('vr_archive_jobs').where({ kind: 'derive', conversation_id: call.id }).select('state', 'attempts', 'subject');

    const t0 = Date.now();
    let r;
    for (;;) {
      r = await binary(backend.get(ALICE, `/conversations/${call.id}/download`));
      if (r.status !== 202) break;
      if (Date.now() - t0 > 120_000) throw new Error('the MP3 was never built');
      await new Promise(res => setTimeout(res, 250));
    }
    // eslint-disable-next-line no-console
    console.log(`MP3 of a 150 s call built by its derive job in ${Date.now() - t0} ms (${databaseId})`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('audio/mpeg');
    const { durationMs, frames } = readMp3Frames(r.body);
    expect(frames.length).toBeGreaterThan(100);
    expect(Math.abs(durationMs - 150_000)).toBeLessThan(1_000);
    expect((await jobs()).map(j => ({ state: j.state, attempts: Number(j.attempts) }))).toEqual([{ state: 'done', attempts: 1 }]);
    expect((await jobs())[0].subject).toMatch(new RegExp(`^mp3:derived/${call.id}/[0-9a-f]{16}/download-32k\\.mp3$`));
    // audited once, when the file was given
    expect((await backend.actions('conversation-download')).map(a => a.target_id)).toEqual([call.id]);
  });

  it('builds the MP3 of a short call in the request, as before', async () => {
    const audio = await backend.storeRecording('recordings/test/short-call.opus', tone(5));
    const call = finishedCall('2026-05-04T10:30:00.000Z', { ...audio, durationMs: 5_000 });
    await new ConversationSearchStore(knex).insertFinished([call]);
    const r = await binary(backend.get(ALICE, `/conversations/${call.id}/download`));
    expect(r.status).toBe(200);
    expect(Math.abs(readMp3Frames(r.body).durationMs - 5_000)).toBeLessThan(500);
    expect(await knex('vr_archive_jobs').where({ kind: 'derive', conversation_id: call.id })).toEqual([]);
  });
});
