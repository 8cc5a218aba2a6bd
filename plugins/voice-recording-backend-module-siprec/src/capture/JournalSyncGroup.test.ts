import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { JournalSyncGroup } from './JournalSyncGroup';
import { mvrRtpAddon, nativeRtpLoadError } from '../media/nativeRtp';

/** the addon's real syncfs (the recorder's); the tests fail where it is not built */
function realSyncfs(): (fd: number) => Promise<void> {
  const addon = mvrRtpAddon();
  if (!addon?.syncfs) throw new Error(`the native addon with syncfs is not built here: ${nativeRtpLoadError() ?? 'a build without syncfs'}`);
  return fd => addon.syncfs!(fd);
}

/** the real syncfs, counted, its calls' start and end times kept */
function countedSyncfs(delayMs = 0) {
  const syncfs = realSyncfs();
  const calls: Array<{ start: number; end: number; fd: number }> = [];
  const fn = async (fd: number) => {
    const call = { start: performance.now(), end: 0, fd };
    calls.push(call);
    if (delayMs) await new Promise(r => setTimeout(r, delayMs));
    await syncfs(fd);
    call.end = performance.now();
  };
  return { fn, calls };
}

describe('JournalSyncGroup', () => {
  let dir: string;
  const groups: JournalSyncGroup[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-syncgroup-'));
  });
  afterEach(async () => {
    await Promise.all(groups.splice(0).map(g => g.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const group = (o: Partial<ConstructorParameters<typeof JournalSyncGroup>[0]> & { syncfs: (fd: number) => Promise<void> }) => {
    const g = new JournalSyncGroup({ dir, flushIntervalMs: 1000, ...o });
    groups.push(g);
    return g;
  };

  it('the addon syncfs syncs a real file system, and rejects a bad descriptor with a Node-style error', async () => {
    const syncfs = realSyncfs();
    const h = await fs.promises.open(dir, 'r');
    try {
      await expect(syncfs(h.fd)).resolves.toBeUndefined();
    } finally {
      await h.close();
    }
    // a descriptor that is not open
    const err = await syncfs(987654).catch(e => e);
    // (an Error of the addon's realm, not jest's: compared by shape)
    expect(Object.prototype.toString.call(err)).toBe('[object Error]');
    expect(err).toMatchObject({ code: 'EBADF', syscall: 'syncfs' });
    expect(err.message).toContain('EBADF');
  });

  it('answers the sync() calls of one turn of the event loop with one syncfs', async () => {
    const counted = countedSyncfs();
    const g = group({ syncfs: counted.fn });
    await Promise.all(Array.from({ length: 50 }, () => g.sync()));
    expect(counted.calls).toHaveLength(1);
    expect(g.stats).toMatchObject({ rounds: 1, waiters: 50, failures: 0 });
    // the directory's descriptor is the one synced (its file system)
    expect(fs.readlinkSync(`/proc/self/fd/${counted.calls[0].fd}`)).toBe(dir);
    await g.sync();
    expect(counted.calls).toHaveLength(2);
  });

  it('a sync() made while a syncfs runs waits for a syncfs that starts after it', async () => {
    const counted = countedSyncfs(50);
    const g = group({ syncfs: counted.fn });
    const first = g.sync();
    await new Promise(r => setTimeout(r, 20)); // the first round is running (50 ms)
    expect(counted.calls).toHaveLength(1);
    const asked = performance.now();
    const late = [g.sync(), g.sync()];
    await first;
    await Promise.all(late);
    expect(counted.calls).toHaveLength(2);
    expect(counted.calls[1].start).toBeGreaterThanOrEqual(asked);
    expect(counted.calls[1].start).toBeGreaterThanOrEqual(counted.calls[0].end);
  });

  it('a failed syncfs rejects every waiter of its round with the error, and the next round works', async () => {
    const syncfs = realSyncfs();
    let fail = true;
    const g = group({
      syncfs: async fd => {
        if (fail) {
          fail = false;
          throw Object.assign(new Error('syncfs EIO (Input/output error)'), { code: 'EIO', syscall: 'syncfs' });
        }
        await syncfs(fd);
      },
    });
    const results = await Promise.allSettled([g.sync(), g.sync(), g.sync()]);
    expect(results.map(r => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'EIO' });
    await expect(g.sync()).resolves.toBeUndefined();
    expect(g.stats).toMatchObject({ rounds: 2, failures: 1, waiters: 4 });
  });

  it('a journal directory that cannot be opened fails the round with its error (ENOENT), not the process', async () => {
    const g = new JournalSyncGroup({ dir: path.join(dir, 'missing'), flushIntervalMs: 1000, syncfs: realSyncfs() });
    groups.push(g);
    await expect(g.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    fs.mkdirSync(path.join(dir, 'missing'));
    await expect(g.sync()).resolves.toBeUndefined();
  });

  it('ticks every joined journal once per flush interval, spread over its slices, until it leaves', async () => {
    const g = group({ syncfs: realSyncfs(), flushIntervalMs: 200, slices: 4 });
    const ticks = new Map<number, number[]>();
    const leaves = Array.from({ length: 8 }, (_, i) => {
      ticks.set(i, []);
      return g.join(() => ticks.get(i)!.push(performance.now()));
    });
    expect(g.stats.journals).toBe(8);
    await new Promise(r => setTimeout(r, 1050));
    for (const [, at] of ticks) {
      // 5 intervals of 200 ms: 4 or 5 flushes each (the first within one interval)
      expect(at.length).toBeGreaterThanOrEqual(4);
      expect(at.length).toBeLessThanOrEqual(6);
      for (let k = 1; k < at.length; k++) expect(at[k] - at[k - 1]).toBeGreaterThan(150);
    }
    // two journals per slice: not all of them in the same tick
    const firstTicks = new Set([...ticks.values()].map(at => Math.round(at[0] / 25)));
    expect(firstTicks.size).toBeGreaterThanOrEqual(3);
    leaves.forEach(leave => leave());
    expect(g.stats.journals).toBe(0);
    const counts = [...ticks.values()].map(at => at.length);
    await new Promise(r => setTimeout(r, 400));
    expect([...ticks.values()].map(at => at.length)).toEqual(counts);
  });

  it('rejects slices and intervals that are not positive', () => {
    const syncfs = realSyncfs();
    expect(() => new JournalSyncGroup({ dir, flushIntervalMs: 1000, slices: 0, syncfs })).toThrow(/slices must be a positive integer/);
    expect(() => new JournalSyncGroup({ dir, flushIntervalMs: 0, syncfs })).toThrow(/flushIntervalMs must be positive/);
  });
});
