import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RefusalSpool, SpooledRefusal, parseSpooledRefusal } from './RefusalSpool';

const record = (id: string, at: string, sipCallId = `call-${id}`): SpooledRefusal => ({
  id,
  at: new Date(at),
  participants: ['sip:+32470123456@sbc', { aor: 'sip:+32499000001@sbc', name: 'Client' }],
  recordedNumber: { id: 'n1', number: '+32470123456', userRef: 'user:default/bob' },
  reason: 'storage-unavailable',
  message: 'database unavailable',
  sipCallId,
  siprecSessionId: 'sess-1',
  responseCode: 503,
  instanceId: 'rec-1',
});

describe('RefusalSpool', () => {
  let dir: string;
  let spool: RefusalSpool;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-spool-'));
    spool = new RefusalSpool(path.join(dir, 'refused'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps records across instances, oldest first, as they were given', async () => {
    const late = record('b0000000-0000-4000-8000-000000000002', '2026-11-26T10:00:01.000Z');
    const early = record('a0000000-0000-4000-8000-000000000001', '2026-11-26T10:00:00.500Z');
    await spool.save(late);
    await spool.save(early);
    const loaded = await new RefusalSpool(spool.dir).load();
    expect(loaded.unreadable).toEqual([]);
    expect(loaded.records).toEqual([early, late]);
    expect(loaded.records[0].at).toBeInstanceOf(Date);
    // saved files are private to the recorder's group
    for (const f of fs.readdirSync(spool.dir)) {
      expect(fs.statSync(path.join(spool.dir, f)).mode & 0o777).toBe(0o640);
    }
  });

  it('forgets a written record, and sets a rejected one aside for an operator', async () => {
    const a = record('a0000000-0000-4000-8000-000000000001', '2026-11-26T10:00:00.000Z');
    const b = record('b0000000-0000-4000-8000-000000000002', '2026-11-26T10:00:01.000Z');
    await spool.save(a);
    await spool.save(b);
    await spool.remove(a);
    await spool.remove(a); // already gone: no error
    await spool.setAsideRejected(b);
    expect((await spool.load()).records).toEqual([]);
    expect(fs.readdirSync(spool.dir)).toEqual([expect.stringMatching(/-b0000000-0000-4000-8000-000000000002\.json\.rejected$/)]);
  });

  it('deletes half-written files, renames unreadable ones and says why', async () => {
    const good = record('a0000000-0000-4000-8000-000000000001', '2026-11-26T10:00:00.000Z');
    await spool.save(good);
    fs.writeFileSync(path.join(spool.dir, '001764151200000-x.json.tmp'), '{"version":1,"rec');
    fs.writeFileSync(path.join(spool.dir, '001764151200001-y.json'), '{"version":1,"record":{"id":"y","at":"never"}}');
    fs.writeFileSync(path.join(spool.dir, '001764151200002-z.json'), 'not json');
    const loaded = await spool.load();
    expect(loaded.records).toEqual([good]);
    expect(loaded.unreadable).toEqual([
      { file: path.join(spool.dir, '001764151200001-y.json.unreadable'), error: 'record y: invalid time never' },
      { file: path.join(spool.dir, '001764151200002-z.json.unreadable'), error: expect.stringMatching(/JSON/) },
    ]);
    expect(fs.readdirSync(spool.dir).sort()).toEqual([
      '001764151200001-y.json.unreadable',
      '001764151200002-z.json.unreadable',
      expect.stringMatching(/-a0000000-0000-4000-8000-000000000001\.json$/),
    ]);
  });

  it('loads nothing from a directory that does not exist yet', async () => {
    expect(await spool.load()).toEqual({ records: [], unreadable: [] });
  });

  it('names what a record lacks', () => {
    expect(() => parseSpooledRefusal('{"version":2}')).toThrow('unknown format version 2');
    expect(() => parseSpooledRefusal('{"version":1,"record":{"at":"2026-11-26T10:00:00Z"}}')).toThrow('record without id');
    expect(() =>
      parseSpooledRefusal('{"version":1,"record":{"id":"r","at":"2026-11-26T10:00:00Z","reason":"error","responseCode":500}}'),
    ).toThrow('record r: sipCallId, reason or responseCode missing');
  });
});
