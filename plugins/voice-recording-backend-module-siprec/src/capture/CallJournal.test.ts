import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { CallJournal, JournalScan, journalContents, readAudioPayloads, scanJournal } from './CallJournal';
import { StorageUnavailableError } from '../storage/BlobStore';
import { JournalSpares } from './JournalSpares';
import { JournalSyncGroup } from './JournalSyncGroup';
import { mvrRtpAddon, nativeRtpLoadError } from '../media/nativeRtp';

/** the recorder's syncfs (native addon), counted; the group tests fail where it is not built */
function countedSyncfs(failFirst?: NodeJS.ErrnoException) {
  const addon = mvrRtpAddon();
  if (!addon?.syncfs) throw new Error(`the native addon with syncfs is not built here: ${nativeRtpLoadError() ?? 'a build without syncfs'}`);
  const counts = { calls: 0 };
  let fail = failFirst;
  const fn = async (fd: number) => {
    counts.calls++;
    if (fail) {
      const e = fail;
      fail = undefined;
      throw e;
    }
    await addon.syncfs!(fd);
  };
  return { fn, counts };
}

const channels = [
  { index: 0, role: 'recorded' as const, encoding: 'pcm16' as const, label: '1' },
  { index: 1, role: 'other' as const, encoding: 'pcmu' as const, label: '2' },
];

function pcmFrame(offset: number): Int16Array {
  return Int16Array.from({ length: 160 }, (_, i) => ((offset + i) * 13) % 30000 - 15000);
}
function ulawFrame(offset: number): Uint8Array {
  return Uint8Array.from({ length: 160 }, (_, i) => (offset + i) & 0xff);
}
/** what a channel of writeSample holds at [offset, offset + samples) */
function expectedBytes(channel: number, offset: number, samples: number): Buffer {
  return channel === 0
    ? Buffer.from(Int16Array.from({ length: samples }, (_, i) => ((offset + i) * 13) % 30000 - 15000).buffer)
    : Buffer.from(Uint8Array.from({ length: samples }, (_, i) => (offset + i) & 0xff));
}

async function payloadsOf(scan: JournalScan): Promise<Buffer[]> {
  const h = await fs.promises.open(scan.path, 'r');
  try {
    return await readAudioPayloads(h, scan.audio);
  } finally {
    await h.close();
  }
}

/** the open flags of this process's descriptors on `file` (Linux /proc) */
function openFlagsOf(file: string): number[] {
  const out: number[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== file) continue;
    const m = /flags:\s+([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (m) out.push(parseInt(m[1], 8));
  }
  return out;
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('CallJournal', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-journal-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function writeSample(frames = 10): Promise<CallJournal> {
    const j = await CallJournal.create(dir, {
      callId: 'call/1@host',
      startedAt: new Date('2025-03-01T10:00:00Z'),
      channels,
      metadata: { session: 'abc' },
    });
    for (let f = 0; f < frames; f++) {
      j.appendAudio(0, f * 160, pcmFrame(f * 160));
      j.appendAudio(1, f * 160, ulawFrame(f * 160));
      if (f === 3) j.appendDtmf({ channel: 0, offsetSamples: f * 160, digit: '5', durationSamples: 800 });
    }
    j.appendQuality({ channel: 1, packetsReceived: frames, packetsLost: 0 });
    j.appendMetadata({ participants: 2 });
    return j;
  }

  it('round-trips header, frames, DTMF, quality, metadata and the end record', async () => {
    const j = await writeSample();
    expect(path.basename(j.path)).toMatch(/^call_1@host\.1740823200000\.[0-9a-f]{8}\.mvrj$/);
    await j.end({ endedBy: 'bye', durationSamples: 2000 });
    const scan = await scanJournal(j.path);
    expect(scan.header).toMatchObject({ callId: 'call/1@host', sampleRate: 8000, channels, metadata: { session: 'abc' } });
    // consecutive frames of a channel are one record: one per channel here
    expect(scan.audio.map(e => [e.channel, e.offsetSamples, e.samples])).toEqual([
      [0, 0, 1600],
      [1, 0, 1600],
    ]);
    expect(scan.lastFrameEnd).toBe(1600);
    expect(scan.dtmf).toEqual([{ channel: 0, offsetSamples: 480, digit: '5', durationSamples: 800 }]);
    expect(scan.quality).toEqual([{ channel: 1, packetsReceived: 10, packetsLost: 0 }]);
    expect(scan.metadataUpdates[0].metadata).toEqual({ participants: 2 });
    expect(scan.end).toMatchObject({ endedBy: 'bye', durationSamples: 2000 });
    expect(scan).toMatchObject({ tornTailBytes: 0, corruptRecords: 0 });
    const payloads = await payloadsOf(scan);
    scan.audio.forEach((e, i) => expect(payloads[i].equals(expectedBytes(e.channel, e.offsetSamples, e.samples))).toBe(true));
    expect(() => j.appendAudio(0, 0, pcmFrame(0))).toThrow(/closed/);
  });

  it('starts a new record at a gap, at a jump back, at each flush and before the end record', async () => {
    const j = await CallJournal.create(dir, { callId: 'runs', channels });
    for (const f of [0, 1, 2, 5, 6]) j.appendAudio(1, f * 160, ulawFrame(f * 160)); // gap after frame 2
    j.appendAudio(1, 4 * 160, ulawFrame(4 * 160)); // back in time: its own record, written last
    j.appendAudio(1, 5 * 160, ulawFrame(5 * 160));
    await j.flush();
    j.appendAudio(1, 6 * 160, ulawFrame(6 * 160)); // after the flush: a new record
    await j.end({ endedBy: 'bye' });
    const scan = await scanJournal(j.path);
    expect(scan.audio.map(e => [e.offsetSamples, e.samples])).toEqual([
      [0, 480],
      [800, 320],
      [640, 320],
      [960, 160],
    ]);
    const payloads = await payloadsOf(scan);
    scan.audio.forEach((e, i) => expect(payloads[i].equals(expectedBytes(1, e.offsetSamples, e.samples))).toBe(true));
    // the end record is the last record: everything before it in the file
    expect(scan.end?.endedBy).toBe('bye');
    expect(Math.max(...scan.audio.map(e => e.filePos + e.byteLength))).toBeLessThan(scan.fileBytes);
  });

  it('splits a run that would pass 512 KiB, and grows a run beyond its first buffer', async () => {
    const j = await CallJournal.create(dir, { callId: 'long', channels, sampleRate: 8000 }, { maxBufferedBytes: 4 * 1024 * 1024 });
    // 40 s of 16-bit audio without a flush: 640,000 bytes in one channel
    const frame = new Int16Array(8000).map((_, i) => i);
    for (let s = 0; s < 40; s++) j.appendAudio(0, s * 8000, frame);
    await j.end({ endedBy: 'bye' });
    const scan = await scanJournal(j.path);
    expect(scan.audio.map(e => e.byteLength)).toEqual([512000, 128000]);
    expect(scan.lastFrameEnd).toBe(320000);
  });

  it('keeps a small journal in memory after the scan: payloads from it equal payloads read from the file', async () => {
    const j = await writeSample(500);
    await j.end({ endedBy: 'bye', durationSamples: 80000 });
    const scan = await scanJournal(j.path);
    const contents = journalContents(scan);
    expect(contents?.length).toBe(fs.statSync(j.path).size);
    const handle = await fs.promises.open(j.path, 'r');
    try {
      const fromFile = await readAudioPayloads(handle, scan.audio);
      const fromMemory = await readAudioPayloads(handle, scan.audio, contents);
      expect(fromMemory).toHaveLength(2);
      expect(fromMemory[1].equals(expectedBytes(1, 0, 500 * 160))).toBe(true);
      fromMemory.forEach((p, i) => expect(p.equals(fromFile[i])).toBe(true));
    } finally {
      await handle.close();
    }
  });

  it('makes its directory once, and again when it was removed while the recorder runs', async () => {
    const sub = path.join(dir, 'a', 'b');
    const first = await CallJournal.create(sub, { callId: 'one', channels });
    await first.end({ endedBy: 'bye' });
    fs.rmSync(path.join(dir, 'a'), { recursive: true, force: true });
    const second = await CallJournal.create(sub, { callId: 'two', channels });
    await second.end({ endedBy: 'bye' });
    expect(fs.readdirSync(sub)).toEqual([path.basename(second.path)]);
    expect((await scanJournal(second.path)).header?.callId).toBe('two');
  });

  it('rejects payloads that do not match the channel encoding and unknown channels', async () => {
    const j = await writeSample(0);
    expect(() => j.appendAudio(0, 0, new Uint8Array(160))).toThrow(/Int16Array/);
    expect(() => j.appendAudio(1, 0, new Int16Array(160))).toThrow(/raw G.711/);
    expect(() => j.appendAudio(7, 0, new Int16Array(160))).toThrow(/unknown channel 7/);
    expect(() => j.appendAudio(0, -1, new Int16Array(160))).toThrow(/offset/);
    await j.close();
  });

  it('flushes buffered records on its own within the flush interval', async () => {
    const j = await CallJournal.create(dir, { callId: 'c', channels }, { flushIntervalMs: 100 });
    const before = fs.statSync(j.path).size;
    j.appendAudio(0, 0, pcmFrame(0));
    expect(fs.statSync(j.path).size).toBe(before); // buffered, not yet written
    await new Promise(r => setTimeout(r, 350));
    expect(fs.statSync(j.path).size).toBeGreaterThan(before);
    expect(j.flushedSampleEnd).toBe(160);
    await j.close();
  });

  it('ignores a torn tail at every possible cut point', async () => {
    const j = await writeSample(3);
    await j.end({ endedBy: 'bye' });
    const full = fs.readFileSync(j.path);
    const complete = await scanJournal(j.path);
    const lastRecordBytes = 12 + 1 + Buffer.byteLength(JSON.stringify(complete.end));
    for (let cut = 1; cut < lastRecordBytes; cut++) {
      fs.writeFileSync(j.path, full.subarray(0, full.length - cut));
      const scan = await scanJournal(j.path);
      expect(scan.records).toBe(complete.records - 1);
      expect(scan.tornTailBytes).toBe(lastRecordBytes - cut);
      expect(scan.end).toBeUndefined();
      expect(scan.audio).toHaveLength(2);
    }
  });

  it('skips a corrupt record in the middle (bad CRC or bad length) and keeps what follows', async () => {
    // ten flushes: ten records per channel
    const j = await CallJournal.create(dir, { callId: 'c', channels });
    for (let f = 0; f < 10; f++) {
      j.appendAudio(0, f * 160, pcmFrame(f * 160));
      j.appendAudio(1, f * 160, ulawFrame(f * 160));
      await j.flush();
    }
    await j.end({ endedBy: 'bye' });
    const full = fs.readFileSync(j.path);
    const scan0 = await scanJournal(j.path);
    const victim = scan0.audio[5];
    // flip one payload byte: CRC mismatch
    const bad = Buffer.from(full);
    bad[victim.filePos + 10] ^= 0x40;
    fs.writeFileSync(j.path, bad);
    let scan = await scanJournal(j.path);
    expect(scan.corruptRecords).toBe(1);
    expect(scan.audio).toHaveLength(19);
    expect(scan.audio.find(e => e.filePos === victim.filePos)).toBeUndefined();
    expect(scan.end?.endedBy).toBe('bye');
    expect(scan.tornTailBytes).toBe(0);
    // damage the length field of the same record: resynchronised on the next record
    const bad2 = Buffer.from(full);
    const recordStart = victim.filePos - 12 - 1 - 12;
    bad2.writeUInt32LE(0x00ffffff, recordStart + 4);
    fs.writeFileSync(j.path, bad2);
    scan = await scanJournal(j.path);
    expect(scan.corruptRecords).toBe(1);
    expect(scan.audio).toHaveLength(19);
    expect(scan.end?.endedBy).toBe('bye');
  });

  it('takes a reserved file (made before the header is known), and releases one that is not used', async () => {
    const startedAt = new Date('2025-03-01T10:00:00Z');
    const kept = CallJournal.reserve(dir, 'kept', startedAt);
    const j = await CallJournal.create(dir, { callId: 'kept', startedAt, channels }, {}, kept);
    expect(j.path).toBe((await kept).path);
    j.appendAudio(1, 0, ulawFrame(0));
    await j.end({ endedBy: 'bye' });
    expect((await scanJournal(j.path)).audio).toHaveLength(1);
    const unused = await CallJournal.reserve(dir, 'refused', startedAt);
    expect(fs.statSync(unused.path).size).toBe(0);
    await CallJournal.release(unused);
    expect(fs.readdirSync(dir)).toEqual([path.basename(j.path)]);
    // an invalid start releases the reservation it was given
    const bad = CallJournal.reserve(dir, 'bad', startedAt);
    await expect(CallJournal.create(dir, { callId: 'bad', channels: [] }, {}, bad)).rejects.toThrow(/at least one channel/);
    await new Promise(r => setTimeout(r, 50));
    expect(fs.readdirSync(dir)).toEqual([path.basename(j.path)]);
  });

  it('writes its header with the first flush: the set-up does not wait for a write', async () => {
    const j = await CallJournal.create(dir, { callId: 'c', channels }, { flushIntervalMs: 60_000 });
    expect(fs.statSync(j.path).size).toBe(0);
    expect(j.flushedBytes).toBe(0);
    j.appendAudio(1, 0, ulawFrame(0));
    await j.flush();
    const scan = await scanJournal(j.path);
    expect(scan.header?.callId).toBe('c');
    expect(scan.audio).toHaveLength(1);
    expect(j.flushedBytes).toBe(fs.statSync(j.path).size);
    await j.close();
  });

  it('takes a spare file: renamed to the call before anything is written, and a refused call gives it back', async () => {
    const spares = new JournalSpares(dir, { target: 2 });
    await spares.start();
    await spares.filled();
    const startedAt = new Date('2025-03-01T10:00:00Z');
    const reserved = CallJournal.reserve(dir, 'call/1@host', startedAt, spares);
    const spare = await reserved;
    expect(spare.spare).toBe(true);
    expect(spare.path.endsWith('.spare')).toBe(true);
    const j = await CallJournal.create(dir, { callId: 'call/1@host', startedAt, channels }, { flushIntervalMs: 60_000 }, reserved);
    expect(j.path).toBe(spare.path); // not renamed yet, and empty
    expect(fs.statSync(j.path).size).toBe(0);
    j.appendAudio(1, 0, ulawFrame(0));
    await j.flush();
    expect(path.basename(j.path)).toMatch(/^call_1@host\.1740823200000\.[0-9a-f]{8}\.mvrj$/);
    expect(fs.existsSync(spare.path)).toBe(false);
    expect((await scanJournal(j.path)).audio).toHaveLength(1);
    await j.end({ endedBy: 'bye' });
    // a refused call's spare goes back to the pool, still empty, and is used again
    await spares.filled();
    const taken = spares.size;
    const refused = await CallJournal.reserve(dir, 'refused', startedAt, spares);
    await CallJournal.release(refused, spares);
    expect(spares.size).toBe(taken);
    expect(fs.existsSync(refused.path)).toBe(true);
    await spares.close();
    expect(fs.readdirSync(dir)).toEqual([path.basename(j.path)]);
  });

  it('opens its file for durable writes (O_DSYNC), made by itself, reserved or a spare', async () => {
    if (process.platform !== 'linux') return;
    const DSYNC = fs.constants.O_DSYNC;
    const spares = new JournalSpares(dir, { target: 1 });
    await spares.start();
    await spares.filled();
    const own = await CallJournal.create(dir, { callId: 'own', channels }, { flushIntervalMs: 60_000 });
    const reservedWithout = CallJournal.reserve(dir, 'reserved', new Date());
    const reserved = await CallJournal.create(dir, { callId: 'reserved', channels }, { flushIntervalMs: 60_000 }, reservedWithout);
    const fromSpare = CallJournal.reserve(dir, 'spare', new Date(), spares);
    expect((await fromSpare).spare).toBe(true);
    const spared = await CallJournal.create(dir, { callId: 'spare', channels }, { flushIntervalMs: 60_000 }, fromSpare);
    for (const j of [own, reserved, spared]) {
      const flags = openFlagsOf(j.path);
      expect(flags).toHaveLength(1);
      expect(flags[0] & DSYNC).toBe(DSYNC);
      expect(flags[0] & 3).toBe(fs.constants.O_WRONLY); // O_ACCMODE
      j.appendAudio(1, 0, ulawFrame(0));
      await j.end({ endedBy: 'bye' });
      expect((await scanJournal(j.path)).end?.endedBy).toBe('bye');
    }
    await spares.close();
  });

  it('refuses a file that is not a journal', async () => {
    const f = path.join(dir, 'x.mvrj');
    fs.writeFileSync(f, 'hello');
    await expect(scanJournal(f)).rejects.toThrow(/not a call journal/);
  });

  it('holds exactly one file descriptor per active call and releases it', async () => {
    const before = openFds();
    const journals = await Promise.all(
      Array.from({ length: 40 }, (_, i) => CallJournal.create(dir, { callId: `c${i}`, channels })),
    );
    expect(openFds() - before).toBe(40);
    journals.forEach((j, i) => j.appendAudio(0, 0, pcmFrame(i)));
    await Promise.all(journals.slice(0, 20).map(j => j.end({ endedBy: 'bye' })));
    await Promise.all(journals.slice(20).map(j => j.close()));
    expect(openFds()).toBe(before);
    // scanning opens and closes too
    await Promise.all(journals.map(j => scanJournal(j.path)));
    expect(openFds()).toBe(before);
  });

  /** Mounts a tmpfs of `size` on `dir/name` for `fn` (root only: otherwise the case is skipped, said so). */
  async function onTmpfs(size: string, fn: (mount: string) => Promise<void>): Promise<void> {
    if (process.getuid?.() !== 0) {
      // eslint-disable-next-line no-console
      console.warn('needs root to mount a small tmpfs: disk-full journal case not exercised');
      return;
    }
    const mount = path.join(dir, `tmpfs-${size}`);
    fs.mkdirSync(mount);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount], { stdio: 'pipe' });
    } catch {
      // eslint-disable-next-line no-console
      console.warn('cannot mount tmpfs here: disk-full journal case not exercised');
      return;
    }
    try {
      await fn(mount);
    } finally {
      execFileSync('umount', ['-l', mount]);
    }
  }

  /** Fills the file system of `dir` with one file (returned: delete it to free the space). */
  function fillDisk(into: string): string {
    const filler = path.join(into, 'filler');
    const fd = fs.openSync(filler, 'w');
    const block = Buffer.alloc(4096, 1);
    try {
      for (;;) fs.writeSync(fd, block);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      fs.closeSync(fd);
    }
    return filler;
  }

  /** Each channel's audio ranges [from, to) in the scan, merged where they touch. */
  function coverage(scan: JournalScan, channel: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const e of scan.audio.filter(a => a.channel === channel).sort((a, b) => a.offsetSamples - b.offsetSamples)) {
      const last = out[out.length - 1];
      if (last && last[1] === e.offsetSamples) last[1] += e.samples;
      else out.push([e.offsetSamples, e.offsetSamples + e.samples]);
    }
    return out;
  }

  it('keeps records buffered when the disk is full, leaves no torn record, and frees the fd when told to give up', async () => {
    await onTmpfs('64k', async small => {
      const errors: Error[] = [];
      const fdsBefore = openFds();
      // no timer flush: a retry in the background could be caught half-way by the scan below
      const j = await CallJournal.create(small, { callId: 'full', channels }, { onError: e => errors.push(e), flushIntervalMs: 600_000 });
      for (let f = 0; f < 100; f++) j.appendAudio(0, f * 160, pcmFrame(f * 160));
      await j.flush();
      const durable = j.flushedBytes;
      for (let f = 100; f < 400; f++) j.appendAudio(0, f * 160, pcmFrame(f * 160)); // ~100 KB > 64 KiB
      const err = await j.flush().catch(e => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err.code).toBe('ENOSPC');
      expect(err.message).toContain(small);
      expect(errors.length).toBeGreaterThan(0);
      expect(j.flushedBytes).toBe(durable);
      const scan = await scanJournal(j.path);
      expect(scan).toMatchObject({ tornTailBytes: 0, corruptRecords: 0, lastFrameEnd: 100 * 160 });
      expect(j.sampleEnd).toBe(400 * 160); // still buffered in memory
      // the recorder stops with the disk still full: the journal gives up and says what it did not write
      const stop = new AbortController();
      const closing = j.end({ endedBy: 'shutdown' }, { signal: stop.signal });
      await new Promise(r => setTimeout(r, 200));
      expect(openFds()).toBe(fdsBefore + 1); // still waiting for the disk
      stop.abort();
      await expect(closing).rejects.toBeInstanceOf(StorageUnavailableError);
      expect(openFds()).toBe(fdsBefore);
      expect(j.lost).toEqual([{ channel: 0, fromSamples: 100 * 160, toSamples: 400 * 160, reason: 'not-written' }]);
    });
  });

  it('ends a call while the disk is full: the buffered frames and the end record are written once space returns, nothing lost', async () => {
    await onTmpfs('1m', async small => {
      const errors: Error[] = [];
      const recovered: Array<{ attempts: number }> = [];
      const j = await CallJournal.create(
        small,
        { callId: 'bye-while-full', channels },
        { onError: e => errors.push(e), onRecovered: i => recovered.push(i), flushIntervalMs: 100, maxRetryMs: 200 },
      );
      const frames = 600;
      for (let f = 0; f < 100; f++) {
        j.appendAudio(0, f * 160, pcmFrame(f * 160));
        j.appendAudio(1, f * 160, ulawFrame(f * 160));
      }
      await j.flush();
      const filler = fillDisk(small);
      for (let f = 100; f < frames; f++) {
        j.appendAudio(0, f * 160, pcmFrame(f * 160));
        j.appendAudio(1, f * 160, ulawFrame(f * 160));
      }
      // BYE while the disk is full
      let settled = false;
      const ended = j.end({ endedBy: 'bye', durationSamples: frames * 160 }).finally(() => (settled = true));
      await new Promise(r => setTimeout(r, 700));
      expect(settled).toBe(false);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every(e => (e as StorageUnavailableError).code === 'ENOSPC')).toBe(true);
      fs.rmSync(filler);
      await ended;
      expect(recovered).toHaveLength(1);
      expect(j.lost).toEqual([]);
      const scan = await scanJournal(j.path);
      expect(scan.end).toMatchObject({ endedBy: 'bye', durationSamples: frames * 160 });
      expect(scan.dropped).toEqual([]);
      expect(coverage(scan, 0)).toEqual([[0, frames * 160]]);
      expect(coverage(scan, 1)).toEqual([[0, frames * 160]]);
      const payloads = await payloadsOf(scan);
      scan.audio.forEach((e, i) => expect(payloads[i].equals(expectedBytes(e.channel, e.offsetSamples, e.samples))).toBe(true));
    });
  });

  it('past its memory budget drops frames and writes exactly which ones once the disk takes it', async () => {
    await onTmpfs('256k', async small => {
      const j = await CallJournal.create(
        small,
        { callId: 'budget', channels },
        { flushIntervalMs: 100, maxRetryMs: 200, maxPendingBytes: 64 * 1024 },
      );
      const frames = 1000;
      for (let f = 0; f < 50; f++) {
        j.appendAudio(0, f * 160, pcmFrame(f * 160));
        j.appendAudio(1, f * 160, ulawFrame(f * 160));
      }
      await j.flush();
      const filler = fillDisk(small);
      // 950 frames of 480 bytes (both channels) while full: ~450 KB, far past 64 KiB
      for (let f = 50; f < frames; f++) {
        j.appendAudio(0, f * 160, pcmFrame(f * 160));
        j.appendAudio(1, f * 160, ulawFrame(f * 160));
      }
      expect(j.droppedSamples).toBeGreaterThan(0);
      expect(j.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
      const lost = j.lost;
      const ended = j.end({ endedBy: 'bye', durationSamples: frames * 160 });
      await new Promise(r => setTimeout(r, 300));
      fs.rmSync(filler);
      await ended;
      const scan = await scanJournal(j.path);
      expect(scan.end?.endedBy).toBe('bye');
      expect(scan.dropped.length).toBeGreaterThan(0);
      expect(scan.dropped).toEqual(lost);
      // what is in the file and what it says was dropped cover the call exactly, without overlap
      for (const channel of [0, 1]) {
        const kept = coverage(scan, channel);
        const dropped = scan.dropped.filter(d => d.channel === channel).map(d => [d.fromSamples, d.toSamples] as [number, number]);
        const all = [...kept, ...dropped].sort((a, b) => a[0] - b[0]);
        expect(all[0][0]).toBe(0);
        for (let i = 1; i < all.length; i++) expect(all[i][0]).toBe(all[i - 1][1]);
        expect(all[all.length - 1][1]).toBe(frames * 160);
        expect(dropped.reduce((a, d) => a + d[1] - d[0], 0)).toBeGreaterThan(0);
      }
      expect(scan.dropped.reduce((a, d) => a + d.toSamples - d.fromSamples, 0)).toBe(j.droppedSamples);
    });
  });

  it('backs off while the disk is full: a few flush attempts per journal, not one per frame', async () => {
    await onTmpfs('1m', async small => {
      const errors = new Map<number, number>();
      const journals = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          CallJournal.create(
            small,
            { callId: `storm${i}`, channels },
            // a low threshold: past it every frame asked for a flush
            { onError: () => errors.set(i, (errors.get(i) ?? 0) + 1), maxBufferedBytes: 4096, flushIntervalMs: 1000 },
          ),
        ),
      );
      const filler = fillDisk(small);
      // 2.5 s of 20 ms frames on both channels of 10 calls
      let f = 0;
      await new Promise<void>(resolve => {
        const t = setInterval(() => {
          for (const j of journals) {
            j.appendAudio(0, f * 160, pcmFrame(f * 160));
            j.appendAudio(1, f * 160, ulawFrame(f * 160));
          }
          if (++f === 125) {
            clearInterval(t);
            resolve();
          }
        }, 20);
      });
      const attempts = [...errors.values()];
      // eslint-disable-next-line no-console
      console.log(`failed flush attempts per journal in 2.5 s of a full disk: ${attempts.join(', ')}`);
      expect(attempts.length).toBe(10);
      // the first attempt, then after 1 s and 2 s more
      for (const a of attempts) expect(a).toBeLessThanOrEqual(3);
      fs.rmSync(filler);
      await Promise.all(journals.map(j => j.end({ endedBy: 'bye' })));
      for (const j of journals) {
        const scan = await scanJournal(j.path);
        expect(coverage(scan, 0)).toEqual([[0, 125 * 160]]);
      }
    });
  });
  describe('in a sync group (one syncfs for the journals of a tick)', () => {
    const groups: JournalSyncGroup[] = [];
    afterEach(async () => {
      await Promise.all(groups.splice(0).map(g => g.close()));
    });
    const makeGroup = (syncfs: (fd: number) => Promise<void>, flushIntervalMs: number, on = dir) => {
      const g = new JournalSyncGroup({ dir: on, flushIntervalMs, slices: 1, syncfs });
      groups.push(g);
      return g;
    };

    it('opens its file without O_DSYNC (made by itself, reserved or a spare), is flushed by the group, and round-trips', async () => {
      if (process.platform !== 'linux') return;
      const synced = countedSyncfs();
      const g = makeGroup(synced.fn, 200);
      const spares = new JournalSpares(dir, { target: 1, syncGroup: g });
      await spares.start();
      await spares.filled();
      const startedAt = new Date('2025-03-01T10:00:00Z');
      // the journals' own interval is not used for flushing: the group's ticker is
      const options = { flushIntervalMs: 60_000, syncGroup: g };
      const own = await CallJournal.create(dir, { callId: 'own', startedAt, channels }, options);
      const reserved = await CallJournal.create(dir, { callId: 'reserved', startedAt, channels }, options, CallJournal.reserve(dir, 'reserved', startedAt, undefined, g));
      const fromSpare = CallJournal.reserve(dir, 'spare', startedAt, spares, g);
      expect((await fromSpare).spare).toBe(true);
      const spared = await CallJournal.create(dir, { callId: 'spare', startedAt, channels }, options, fromSpare);
      const journals = [own, reserved, spared];
      for (const j of journals) {
        const flags = openFlagsOf(j.path);
        expect(flags).toHaveLength(1);
        expect(flags[0] & fs.constants.O_DSYNC).toBe(0);
        expect(flags[0] & 3).toBe(fs.constants.O_WRONLY);
      }
      for (let f = 0; f < 25; f++) {
        for (const j of journals) {
          j.appendAudio(0, f * 160, pcmFrame(f * 160));
          j.appendAudio(1, f * 160, ulawFrame(f * 160));
        }
      }
      const deadline = Date.now() + 5000;
      while (journals.some(j => j.flushedSampleEnd < 25 * 160) && Date.now() < deadline) await new Promise(r => setTimeout(r, 20));
      expect(journals.map(j => j.flushedSampleEnd)).toEqual([4000, 4000, 4000]);
      // three journals, one tick: one syncfs, a second one for the spare (its rename comes first)
      expect(synced.counts.calls).toBeLessThanOrEqual(2);
      expect(path.basename(spared.path)).toMatch(/^spare\.1740823200000\.[0-9a-f]{8}\.mvrj$/);
      await Promise.all(journals.map(j => j.end({ endedBy: 'bye' })));
      for (const j of journals) {
        const scan = await scanJournal(j.path);
        expect(scan).toMatchObject({ tornTailBytes: 0, corruptRecords: 0, lastFrameEnd: 4000 });
        expect(scan.end?.endedBy).toBe('bye');
        const payloads = await payloadsOf(scan);
        scan.audio.forEach((e, i) => expect(payloads[i].equals(expectedBytes(e.channel, e.offsetSamples, e.samples))).toBe(true));
        expect(coverage(scan, 0)).toEqual([[0, 4000]]);
        expect(coverage(scan, 1)).toEqual([[0, 4000]]);
      }
      expect(g.stats.journals).toBe(0); // each left the group when it closed
      await spares.close();
    });

    it('a failed syncfs keeps the records in memory (StorageUnavailableError) and the retry writes them once, nothing lost', async () => {
      const synced = countedSyncfs(Object.assign(new Error('syncfs EIO (Input/output error)'), { code: 'EIO', syscall: 'syncfs' }));
      const g = makeGroup(synced.fn, 600_000);
      const errors: Error[] = [];
      const j = await CallJournal.create(dir, { callId: 'eio', channels }, { flushIntervalMs: 600_000, syncGroup: g, onError: e => errors.push(e) });
      for (let f = 0; f < 50; f++) j.appendAudio(0, f * 160, pcmFrame(f * 160));
      const err = await j.flush().catch(e => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect(err.code).toBe('EIO');
      expect(errors).toHaveLength(1);
      expect(j.flushedBytes).toBe(0);
      expect(j.flushedSampleEnd).toBe(0);
      // the written-but-not-durable bytes were taken back: no record twice after the retry
      expect(fs.statSync(j.path).size).toBe(0);
      for (let f = 50; f < 100; f++) j.appendAudio(0, f * 160, pcmFrame(f * 160));
      await j.end({ endedBy: 'bye' });
      const scan = await scanJournal(j.path);
      expect(scan).toMatchObject({ tornTailBytes: 0, corruptRecords: 0, lastFrameEnd: 100 * 160 });
      expect(coverage(scan, 0)).toEqual([[0, 100 * 160]]);
      expect(scan.audio.reduce((a, e) => a + e.samples, 0)).toBe(100 * 160);
      expect(synced.counts.calls).toBeGreaterThanOrEqual(2);
    });

    it('on a full disk keeps the records buffered (ENOSPC from the write itself) and writes them when space returns', async () => {
      await onTmpfs('64k', async small => {
        const synced = countedSyncfs();
        const g = makeGroup(synced.fn, 600_000, small);
        const errors: Error[] = [];
        const j = await CallJournal.create(small, { callId: 'full', channels }, { flushIntervalMs: 600_000, syncGroup: g, onError: e => errors.push(e) });
        for (let f = 0; f < 100; f++) j.appendAudio(0, f * 160, pcmFrame(f * 160));
        await j.flush();
        const durable = j.flushedBytes;
        const filler = fillDisk(small);
        for (let f = 100; f < 200; f++) j.appendAudio(0, f * 160, pcmFrame(f * 160));
        const err = await j.flush().catch(e => e);
        expect(err).toBeInstanceOf(StorageUnavailableError);
        expect(err.code).toBe('ENOSPC');
        expect(j.flushedBytes).toBe(durable);
        expect(await scanJournal(j.path)).toMatchObject({ tornTailBytes: 0, corruptRecords: 0, lastFrameEnd: 100 * 160 });
        fs.rmSync(filler);
        await j.end({ endedBy: 'bye' });
        const scan = await scanJournal(j.path);
        expect(coverage(scan, 0)).toEqual([[0, 200 * 160]]);
        expect(scan.end?.endedBy).toBe('bye');
      });
    });
  });
});
