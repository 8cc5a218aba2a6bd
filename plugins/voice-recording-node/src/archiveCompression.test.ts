import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { ArchiveJob } from './archiveJobs';
import { ArchiveToCompress, CaptureConversations, ReplaceArchiveInput } from './capture';
import { BlobStore, LocalFileBlobStore } from './storage';
import {
  OGG_OPUS_CONTENT_TYPE as OPUS_CONTENT_TYPE,
  OpusEncoderPool,
  OpusSampleRate,
  PEAKS_CONTENT_TYPE,
  decodeAlaw,
  decodeOggOpus,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  readOggPackets,
  readOggPages,
  splitMultistreamPacket,
  wavHeader,
  writeWavG711Stereo,
  writeWavPcm16Stereo,
} from './audio';
import {
  ArchiveCompression,
  CompressionOpusSettings,
  DEFAULT_COMPRESSION_OPUS,
  compressJobFor,
  compressionSettingsOf,
  createCompressJobHandler,
  opusKeyFor,
} from './archiveCompression';

type Row = Conversation & { supersededStorageKey?: string };

/**
 * In-memory CaptureConversations with the store's compare-and-set semantics for the
 * archive methods (the real store is tested in the backend plugin).
 */
class FakeConversations implements CaptureConversations {
  readonly rows = new Map<string, Row>();
  readonly listCalls: Array<{ instanceId?: string; limit: number }> = [];
  readonly replaceCalls: Array<{ id: string; input: ReplaceArchiveInput; outcome: 'replaced' | 'stale' }> = [];
  readonly forgetCalls: Array<{ id: string; storageKey: string }> = [];
  /** runs at the start of every list call */
  onList?: () => Promise<void>;
  /** runs inside replaceArchive before the compare (simulates another writer) */
  beforeReplace?: (row: Row) => Promise<void> | void;

  add(row: Row): void {
    this.rows.set(row.id, structuredClone(row));
  }

  row(id: string): Row {
    const r = this.rows.get(id);
    if (!r) throw new Error(`no row ${id}`);
    return structuredClone(r);
  }

  async listArchivesToCompress(options: { instanceId?: string; limit: number }): Promise<ArchiveToCompress[]> {
    this.listCalls.push({ ...options });
    await this.onList?.();
    return [...this.rows.values()]
      .filter(r => r.compressTo || r.supersededStorageKey)
      .filter(r => options.instanceId === undefined || r.captureInstance === options.instanceId)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id))
      .slice(0, options.limit)
      .map(r => ({
        conversationId: r.id,
        startedAt: r.startedAt,
        storageKey: r.storageKey ?? '',
        sha256: r.sha256 ?? '',
        format: r.format ?? '',
        ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
        ...(r.compressTo ? { compressTo: r.compressTo } : {}),
        ...(r.supersededStorageKey ? { supersededStorageKey: r.supersededStorageKey } : {}),
        ...(r.compressTo ? { sipCallId: r.sipCallId, ...(r.endedBy ? { endedBy: r.endedBy } : {}) } : {}),
      }));
  }

  async replaceArchive(id: string, input: ReplaceArchiveInput): Promise<'replaced' | 'stale'> {
    const row = this.rows.get(id);
    if (row) await this.beforeReplace?.(row);
    let outcome: 'replaced' | 'stale' = 'stale';
    if (
      row &&
      row.state === 'finished' &&
      row.compressTo &&
      row.storageKey === input.expected.storageKey &&
      row.sha256 === input.expected.sha256.toLowerCase()
    ) {
      row.supersededStorageKey = row.storageKey;
      row.storageKey = input.storageKey;
      row.sha256 = input.sha256.toLowerCase();
      row.bytes = input.bytes;
      row.format = input.format;
      delete row.compressTo;
      outcome = 'replaced';
    }
    this.replaceCalls.push({ id, input: structuredClone(input), outcome });
    return outcome;
  }

  async forgetSupersededArchive(id: string, storageKey: string): Promise<void> {
    this.forgetCalls.push({ id, storageKey });
    const row = this.rows.get(id);
    if (row?.supersededStorageKey === storageKey) delete row.supersededStorageKey;
  }

  async get(id: string): Promise<Conversation | undefined> {
    const row = this.rows.get(id);
    if (!row) return undefined;
    const { supersededStorageKey: _superseded, ...conversation } = structuredClone(row);
    return conversation;
  }

  begin(): Promise<string> {
    throw new Error('not used by the compressor');
  }
  update(): Promise<void> {
    throw new Error('not used by the compressor');
  }
  finish(): Promise<Conversation> {
    throw new Error('not used by the compressor');
  }
  recordRefused(): never {
    throw new Error('not used by the compressor');
  }
  activeCount(): Promise<number> {
    throw new Error('not used by the compressor');
  }
  listInProgress(): Promise<Conversation[]> {
    throw new Error('not used by the compressor');
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A harmonic tone with a slow amplitude envelope: a different one per channel. */
function harmonics(seconds: number, rate: number, f0: number, partials: number[], envHz: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const env = 0.6 + 0.4 * Math.sin(2 * Math.PI * envHz * t);
    let v = 0;
    partials.forEach((a, k) => {
      v += a * Math.sin(2 * Math.PI * f0 * (k + 1) * t + k);
    });
    out[i] = Math.round(7000 * env * v);
  }
  return out;
}

function channel(pcm: Int16Array, c: number, channels = 2): Int16Array {
  const out = new Int16Array(pcm.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = pcm[i * channels + c];
  return out;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * The lag (decoded[i] ≈ source[i + lag]) within ±maxLag samples where the decoded channel
 * correlates best with its source, and that correlation.
 */
function bestAlignment(decoded: Int16Array, source: Int16Array, maxLag: number): { lag: number; r: number } {
  let best = { lag: 0, r: -Infinity };
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const r = pearson(decoded.subarray(Math.max(0, -lag)), source.subarray(Math.max(0, lag)));
    if (r > best.r) best = { lag, r };
  }
  return best;
}

/** every file under dir (relative paths), temp and metadata files included */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter(p => fs.statSync(path.join(dir, p)).isFile())
    .map(p => p.split(path.sep).join('/'))
    .sort();
}

interface Source {
  wav: Buffer;
  rate: OpusSampleRate;
  /** the channels as the WAV holds them (after G.711 where it applies) */
  left: Int16Array;
  right: Int16Array;
}

function alawWav(seconds: number): Source {
  const l = encodeAlaw(harmonics(seconds, 8000, 180, [1, 0.5, 0.3], 1.3));
  const r = encodeAlaw(harmonics(seconds, 8000, 270, [1, 0.4, 0.25, 0.15], 0.7));
  return { wav: writeWavG711Stereo('alaw', l, r, 8000), rate: 8000, left: decodeAlaw(l), right: decodeAlaw(r) };
}

function ulawWav(seconds: number): Source {
  const l = encodeUlaw(harmonics(seconds, 8000, 220, [1, 0.6, 0.2], 0.9));
  const r = encodeUlaw(harmonics(seconds, 8000, 140, [1, 0.3, 0.3, 0.1], 1.7));
  return { wav: writeWavG711Stereo('mulaw', l, r, 8000), rate: 8000, left: decodeUlaw(l), right: decodeUlaw(r) };
}

function pcm16Wav(seconds: number, rate: OpusSampleRate = 16000): Source {
  const left = harmonics(seconds, rate, 200, [1, 0.5, 0.35, 0.2, 0.1], 1.1);
  const right = harmonics(seconds, rate, 310, [1, 0.45, 0.3, 0.15], 0.6);
  return { wav: writeWavPcm16Stereo(left, right, rate), rate, left, right };
}

const INSTANCE = 'recorder-1';


function conversationRow(id: string, storageKey: string, file: Buffer, startedAt: string, extra: Partial<Row> = {}): Row {
  return {
    id,
    number: '+3222000000',
    userRef: 'user:default/alice',
    startedAt,
    endedAt: new Date(Date.parse(startedAt) + 60_000).toISOString(),
    sipCallId: `call-${id}@pbx.example`,
    participants: [],
    metadata: {},
    dtmf: [],
    state: 'finished',
    endedBy: 'bye',
    storageKey,
    sha256: sha256(file),
    bytes: file.length,
    format: 'audio/wav',
    compressTo: 'opus',
    captureSource: 'siprec',
    captureInstance: INSTANCE,
    createdAt: startedAt,
    updatedAt: startedAt,
    ...extra,
  };
}

describe('opusKeyFor', () => {
  it('replaces a .wav extension (any case) and appends .opus otherwise', () => {
    expect(opusKeyFor('recordings/2025/10/01/call-123.wav')).toBe('recordings/2025/10/01/call-123.opus');
    expect(opusKeyFor('recordings/CALL.WAV')).toBe('recordings/CALL.opus');
    expect(opusKeyFor('recordings/call-123')).toBe('recordings/call-123.opus');
    expect(opusKeyFor('recordings/call.wav.bak')).toBe('recordings/call.wav.bak.opus');
    expect(opusKeyFor('recordings/call.wavy')).toBe('recordings/call.wavy.opus');
    expect(opusKeyFor('recordings.wav/call')).toBe('recordings.wav/call.opus');
  });

  it('names the file of a later attempt apart (a first attempt still running cannot overwrite it)', () => {
    expect(opusKeyFor('recordings/call-123.wav', 1)).toBe('recordings/call-123.opus');
    expect(opusKeyFor('recordings/call-123.wav', 2)).toBe('recordings/call-123.a2.opus');
    expect(opusKeyFor('recordings/call-123', 3)).toBe('recordings/call-123.a3.opus');
  });
});

describe('compress jobs', () => {
  it('carry the enqueuing recorder\'s Opus settings, one job per conversation', () => {
    expect(compressJobFor('c-1', { bitrate: 64000, complexity: 3, frameMs: 20, skipSilence: false })).toEqual({
      kind: 'compress',
      subject: 'c-1',
      conversationId: 'c-1',
      payload: { opus: { bitrate: 64000, complexity: 3, frameMs: 20, skipSilence: false } },
    });
    expect(compressJobFor('c-2')).toEqual({ kind: 'compress', subject: 'c-2', conversationId: 'c-2' });
  });

  it('carry the layer through the payload (as stored: JSON) back to the same settings', () => {
    for (const opus of [DEFAULT_COMPRESSION_OPUS, { layer: 'silk', bitrate: 15000, complexity: 0, frameMs: 60, skipSilence: true } as const]) {
      const job = compressJobFor('c-3', opus);
      const stored = JSON.parse(JSON.stringify(job.payload));
      expect(compressionSettingsOf({ id: '9', payload: stored }, { layer: 'silk', bitrate: 64000, complexity: 9 })).toEqual(opus);
      expect(compressionSettingsOf({ id: '9', payload: stored }, DEFAULT_COMPRESSION_OPUS)).toEqual(opus);
    }
    expect(DEFAULT_COMPRESSION_OPUS).toEqual({ layer: 'celt', bitrate: 18800, complexity: 0, frameMs: 60, skipSilence: true });
  });

  it('a payload without a layer (a recorder from before the key: SILK) is encoded in SILK; a layer without a bit rate takes that layer\'s', () => {
    const defaults = DEFAULT_COMPRESSION_OPUS;
    expect(compressionSettingsOf({ id: '7', payload: { opus: { bitrate: 15000, complexity: 0, frameMs: 60, skipSilence: true } } }, defaults)).toEqual({
      layer: 'silk',
      bitrate: 15000,
      complexity: 0,
      frameMs: 60,
      skipSilence: true,
    });
    expect(compressionSettingsOf({ id: '7', payload: { opus: { complexity: 0 } } }, defaults)).toMatchObject({ layer: 'silk', bitrate: 15000 });
    expect(compressionSettingsOf({ id: '7', payload: { opus: { layer: 'celt' } } }, { ...defaults, layer: 'silk', bitrate: 15000 })).toMatchObject({
      layer: 'celt',
      bitrate: 18800,
    });
    // no payload at all (the archive scan's jobs): the taking process's settings
    expect(compressionSettingsOf({ id: '7' }, defaults)).toEqual(defaults);
  });

  it('read the settings over the defaults, and refuse bad ones for good naming the field', () => {
    const defaults: CompressionOpusSettings = { layer: 'celt', bitrate: 18800, complexity: 0, frameMs: 60, skipSilence: true };
    expect(compressionSettingsOf({ id: '7' }, defaults)).toEqual(defaults);
    expect(compressionSettingsOf({ id: '7', payload: { opus: { layer: 'celt', bitrate: 32000 } } }, defaults)).toEqual({ ...defaults, bitrate: 32000 });
    const bad: Array<[unknown, RegExp]> = [
      [{ layer: 'hybrid' }, /compress job 7: payload\.opus\.layer "hybrid" is not one of silk, celt/],
      [{ bitrate: 100 }, /compress job 7: payload\.opus\.bitrate 100 is not a bit rate between 6000 and 256000/],
      [{ complexity: 11 }, /payload\.opus\.complexity 11 is not an integer 0\.\.10/],
      [{ frameMs: 30 }, /payload\.opus\.frameMs 30 is not one of 20, 40, 60/],
      [{ skipSilence: 'yes' }, /payload\.opus\.skipSilence "yes" is not a boolean/],
      ['loud', /payload\.opus\.is not an object: "loud"/],
    ];
    const outcomes = bad.map(([opus]) => {
      try {
        compressionSettingsOf({ id: '7', payload: { opus } }, defaults);
        return 'accepted';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    });
    bad.forEach(([, re], i) => expect(outcomes[i]).toMatch(re));
    expect(outcomes.every(o => o.startsWith('PermanentArchiveJobError'))).toBe(true);
  });
});

describe('ArchiveCompression (compress job handler)', () => {
  let dir: string;
  let store: LocalFileBlobStore;
  let pool: OpusEncoderPool;
  let conversations: FakeConversations;
  let logger: ReturnType<typeof mockServices.logger.mock>;
  let compression: ArchiveCompression;
  let handler: ReturnType<typeof createCompressJobHandler>;
  /** the compressor gets a BlobStore that is not local files (see `delegating`) */
  let streamed = false;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-compressor-'));
    store = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
    pool = new OpusEncoderPool({ threads: 1 });
    conversations = new FakeConversations();
    logger = mockServices.logger.mock();
  });

  afterEach(async () => {
    streamed = false;
    await pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** through another BlobStore than local files, the WAV is streamed through this thread */
  const delegating = (s: LocalFileBlobStore): BlobStore => ({
    put: (k, b, o) => s.put(k, b, o),
    get: (k, r) => s.get(k, r),
    stat: k => s.stat(k),
    delete: k => s.delete(k),
    list: p => s.list(p),
    checkWritable: () => s.checkWritable(),
  });

  function newCompression(opus: CompressionOpusSettings = { bitrate: 16000, complexity: 5 }): ArchiveCompression {
    const blobStore = streamed ? delegating(store) : store;
    compression = new ArchiveCompression({ conversations, blobStore, pool, logger });
    handler = createCompressJobHandler({
      compression,
      archiveOf: async id => (await conversations.listArchivesToCompress({ limit: 1000 })).find(i => i.conversationId === id),
      defaults: opus,
      logger,
    });
    return compression;
  }

  function jobFor(conversationId: string, attempts = 1, opus?: CompressionOpusSettings): ArchiveJob {
    const now = new Date().toISOString();
    return {
      id: `job-${conversationId}`,
      kind: 'compress',
      subject: conversationId,
      conversationId,
      ...(opus ? { payload: compressJobFor(conversationId, opus).payload } : {}),
      state: 'running',
      attempts,
      maxAttempts: 8,
      runAfter: now,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** A job for every conversation awaiting work, run as a worker would: a failure is logged. */
  async function runJobs(): Promise<void> {
    for (const item of await conversations.listArchivesToCompress({ limit: 1000 })) {
      const job = jobFor(item.conversationId);
      try {
        await handler(job, new AbortController().signal);
      } catch (e) {
        logger.error(`compress job ${job.id} failed: ${(e as Error).message}`);
      }
    }
  }

  async function read(key: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of await store.get(key)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  const errorMessages = () => logger.error.mock.calls.map(c => String(c[0]));

  it.each([
    ['local files: the whole job on the encoder thread', false],
    ['another BlobStore: streamed through the calling thread', true],
  ])('replaces A-law, μ-law and 16 kHz PCM WAVs with Opus that sounds like them, and moves the peaks (%s)', async (_how, viaStream) => {
    streamed = viaStream;
    const sources: Record<string, Source & { seconds: number }> = {
      alaw: { ...alawWav(3), seconds: 3 },
      mulaw: { ...ulawWav(2), seconds: 2 },
      pcm16: { ...pcm16Wav(2.5), seconds: 2.5 },
    };
    const peaks: Record<string, Buffer> = {};
    let minute = 0;
    for (const [id, s] of Object.entries(sources)) {
      const key = `recordings/2025/10/01/${id}.wav`;
      await store.put(key, s.wav, { contentType: 'audio/wav' });
      peaks[id] = Buffer.from(`peaks of ${id}: ${'x'.repeat(100)}`);
      await store.put(`${key}.peaks`, peaks[id], { contentType: PEAKS_CONTENT_TYPE });
      conversations.add(conversationRow(id, key, s.wav, `2025-10-01T10:0${minute++}:00.000Z`));
    }
    const c = newCompression();
    await runJobs();
    expect(errorMessages()).toEqual([]);

    for (const [id, s] of Object.entries(sources)) {
      const wavKey = `recordings/2025/10/01/${id}.wav`;
      const opusKey = `recordings/2025/10/01/${id}.opus`;
      const file = fs.readFileSync(store.resolveKey(opusKey));
      const row = conversations.row(id);
      expect(row.storageKey).toBe(opusKey);
      expect(row.sha256).toBe(sha256(file));
      expect(row.bytes).toBe(file.length);
      expect(row.format).toBe(OPUS_CONTENT_TYPE);
      expect(row.compressTo).toBeUndefined();
      expect(row.supersededStorageKey).toBeUndefined();
      expect(conversations.forgetCalls).toContainEqual({ id, storageKey: wavKey });
      const replace = conversations.replaceCalls.find(r => r.id === id)!;
      expect(replace.outcome).toBe('replaced');
      expect(replace.input.expected).toEqual({ storageKey: wavKey, sha256: sha256(s.wav) });

      // the WAV and its peaks are gone, the peaks sit next to the Opus file
      expect(await store.stat(wavKey)).toBeUndefined();
      expect(await store.stat(`${wavKey}.peaks`)).toBeUndefined();
      expect((await store.stat(opusKey))?.contentType).toBe(OPUS_CONTENT_TYPE);
      expect((await store.stat(`${opusKey}.peaks`))?.contentType).toBe(PEAKS_CONTENT_TYPE);
      expect(await read(`${opusKey}.peaks`)).toEqual(peaks[id]);

      // the Opus file: tags, layout, duration, and each party's signal
      expect(file.includes(Buffer.from(`SOURCE_SHA256=${sha256(s.wav)}`))).toBe(true);
      const decoded = decodeOggOpus(file, s.rate);
      expect(decoded.tags).toMatchObject({
        SOURCE_SHA256: sha256(s.wav),
        CALL_ID: `call-${id}@pbx.example`,
        STARTED_AT: row.startedAt,
        ENDED_BY: 'bye',
      });
      expect(decoded.channels).toBe(2);
      expect(decoded.inputSampleRate).toBe(s.rate);
      const frame = s.rate / 50;
      expect(Math.abs(decoded.samples - s.seconds * s.rate)).toBeLessThanOrEqual(frame);
      const left = channel(decoded.pcm, 0);
      const right = channel(decoded.pcm, 1);
      // the decoder drops the pre-skip; what is left of the codec's delay is below 1 ms
      const maxLag = s.rate / 1000;
      for (const [out, own, other] of [
        [left, s.left, s.right],
        [right, s.right, s.left],
      ]) {
        const fit = bestAlignment(out, own, maxLag);
        expect(fit.r).toBeGreaterThan(0.8);
        expect(Math.abs(fit.lag)).toBeLessThan(maxLag);
        // not swapped: each channel is its own party
        expect(Math.abs(bestAlignment(out, other, maxLag).r)).toBeLessThan(0.3);
      }
    }

    expect(c.stats).toEqual({ compressed: 3, compressedSeconds: expect.any(Number), supersededDeleted: 3, stale: 0, failed: 0 });
    expect(c.stats.compressedSeconds).toBeCloseTo(7.5, 9);
    expect(filesUnder(dir)).toEqual(
      [
        ...Object.keys(sources).flatMap(id => [`${id}.opus`, `${id}.opus.meta.json`, `${id}.opus.peaks`, `${id}.opus.peaks.meta.json`]),
      ]
        .map(f => `recordings/2025/10/01/${f}`)
        .sort(),
    );
  }, 60_000);

  it('refuses a WAV whose SHA-256 is not the registered one and leaves it as it is', async () => {
    const s = alawWav(2);
    const key = 'recordings/tampered.wav';
    const registered = sha256(s.wav);
    const tampered = Buffer.from(s.wav);
    tampered[tampered.length - 100] ^= 0x55;
    const actual = sha256(tampered);
    await store.put(key, tampered, { contentType: 'audio/wav' });
    await store.put(`${key}.peaks`, Buffer.from('peaks'), { contentType: PEAKS_CONTENT_TYPE });
    conversations.add(conversationRow('t', key, s.wav, '2025-10-01T10:00:00.000Z'));
    const before = conversations.row('t');
    expect(before.sha256).toBe(registered);

    const c = newCompression();
    await runJobs();

    expect(conversations.row('t')).toEqual(before);
    expect(conversations.replaceCalls).toEqual([]);
    expect(sha256(fs.readFileSync(store.resolveKey(key)))).toBe(actual);
    expect(filesUnder(dir)).toEqual([
      'recordings/tampered.wav',
      'recordings/tampered.wav.meta.json',
      'recordings/tampered.wav.peaks',
      'recordings/tampered.wav.peaks.meta.json',
    ]);
    expect(c.stats).toMatchObject({ compressed: 0, compressedSeconds: 0, supersededDeleted: 0, failed: 1 });
    const messages = errorMessages();
    expect(messages).toHaveLength(1);
    for (const text of [messages[0], c.stats.lastError!]) {
      expect(text).toContain(key);
      expect(text).toContain(registered);
      expect(text).toContain(actual);
    }
  }, 30_000);

  it('deletes an archive left superseded by a crash after the replacement, then forgets its key', async () => {
    const s = alawWav(1);
    const wavKey = 'recordings/crashed.wav';
    const opusKey = 'recordings/crashed.opus';
    const opusBytes = Buffer.from('an Opus file already in use');
    await store.put(wavKey, s.wav, { contentType: 'audio/wav' });
    await store.put(`${wavKey}.peaks`, Buffer.from('peaks'), { contentType: PEAKS_CONTENT_TYPE });
    await store.put(opusKey, opusBytes, { contentType: OPUS_CONTENT_TYPE });
    conversations.add(
      conversationRow('crashed', opusKey, opusBytes, '2025-10-01T10:00:00.000Z', {
        format: OPUS_CONTENT_TYPE,
        compressTo: undefined,
        supersededStorageKey: wavKey,
      }),
    );
    // the file was deleted already, only forgetting its key was left
    conversations.add(
      conversationRow('gone', 'recordings/gone.opus', opusBytes, '2025-10-01T10:01:00.000Z', {
        format: OPUS_CONTENT_TYPE,
        compressTo: undefined,
        supersededStorageKey: 'recordings/gone.wav',
      }),
    );

    const c = newCompression();
    await runJobs();

    expect(conversations.row('crashed')).toMatchObject({ storageKey: opusKey, sha256: sha256(opusBytes) });
    expect(conversations.row('crashed').supersededStorageKey).toBeUndefined();
    expect(conversations.row('gone').supersededStorageKey).toBeUndefined();
    expect(conversations.forgetCalls).toEqual([
      { id: 'crashed', storageKey: wavKey },
      { id: 'gone', storageKey: 'recordings/gone.wav' },
    ]);
    expect(conversations.replaceCalls).toEqual([]);
    expect(filesUnder(dir)).toEqual(['recordings/crashed.opus', 'recordings/crashed.opus.meta.json']);
    expect(c.stats).toMatchObject({ compressed: 0, supersededDeleted: 2, failed: 0 });
  }, 30_000);

  it('drops its Opus file and keeps the WAV when the conversation changed before the replacement', async () => {
    const s = alawWav(2);
    const key = 'recordings/changed.wav';
    await store.put(key, s.wav, { contentType: 'audio/wav' });
    await store.put(`${key}.peaks`, Buffer.from('peaks'), { contentType: PEAKS_CONTENT_TYPE });
    conversations.add(conversationRow('changed', key, s.wav, '2025-10-01T10:00:00.000Z'));
    const otherSha = 'ab'.repeat(32);
    let changed = false;
    conversations.beforeReplace = row => {
      if (changed) return;
      changed = true;
      row.sha256 = otherSha; // registered again meanwhile: no longer the archive that was read
    };
    const snapshots: string[][] = [];
    conversations.onList = async () => {
      snapshots.push(filesUnder(dir));
    };

    const c = newCompression();
    await runJobs(); // stale: the job is done, its copy dropped
    await runJobs(); // a later job (the recovery scan's) sees the new registration

    expect(conversations.replaceCalls).toHaveLength(1);
    expect(conversations.replaceCalls[0].outcome).toBe('stale');
    // right after the stale answer (the next list), the Opus file and its peaks were gone
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    expect(snapshots[2]).toEqual([
      'recordings/changed.wav',
      'recordings/changed.wav.meta.json',
      'recordings/changed.wav.peaks',
      'recordings/changed.wav.peaks.meta.json',
    ]);
    // the next attempt sees the new registration, which the file does not match
    expect(c.stats).toMatchObject({ compressed: 0, supersededDeleted: 0, stale: 1, failed: 1 });
    expect(c.stats.lastError).toContain(otherSha);
    expect(conversations.row('changed')).toMatchObject({ storageKey: key, sha256: otherSha, compressTo: 'opus' });
    expect(sha256(fs.readFileSync(store.resolveKey(key)))).toBe(sha256(s.wav));
    expect(filesUnder(dir)).toEqual(snapshots[2]);
  }, 30_000);

  it('keeps the Opus file another process already put in place (stale), and deletes the WAV it superseded', async () => {
    const s = pcm16Wav(1, 8000);
    const key = 'recordings/raced.wav';
    const opusKey = 'recordings/raced.opus';
    await store.put(key, s.wav, { contentType: 'audio/wav' });
    conversations.add(conversationRow('raced', key, s.wav, '2025-10-01T10:00:00.000Z'));
    conversations.beforeReplace = row => {
      // the other process's replacement committed first, with the same file
      const file = fs.readFileSync(store.resolveKey(opusKey));
      row.supersededStorageKey = row.storageKey;
      row.storageKey = opusKey;
      row.sha256 = sha256(file);
      row.bytes = file.length;
      row.format = OPUS_CONTENT_TYPE;
      delete row.compressTo;
    };

    const c = newCompression();
    await runJobs(); // stale: the other process's file is kept
    await runJobs(); // the WAV it superseded (that process died before deleting it)

    expect(conversations.replaceCalls.map(r => r.outcome)).toEqual(['stale']);
    const file = fs.readFileSync(store.resolveKey(opusKey));
    expect(conversations.row('raced')).toMatchObject({ storageKey: opusKey, sha256: sha256(file) });
    expect(conversations.row('raced').supersededStorageKey).toBeUndefined();
    expect(decodeOggOpus(file, 8000).tags.SOURCE_SHA256).toBe(sha256(s.wav));
    expect(filesUnder(dir)).toEqual(['recordings/raced.opus', 'recordings/raced.opus.meta.json']);
    expect(c.stats).toMatchObject({ compressed: 0, supersededDeleted: 1, stale: 1, failed: 0 });
  }, 30_000);

  it('fails a mono WAV, an 11025 Hz WAV, a truncated file and a non-WAV with errors naming them, and compresses the rest', async () => {
    const good = alawWav(1);
    const monoData = Buffer.alloc(8000 * 2);
    const mono = Buffer.concat([wavHeader({ encoding: 'pcm16', channels: 1, sampleRate: 8000 }, monoData.length), monoData]);
    const odd = writeWavPcm16Stereo(harmonics(1, 11025, 200, [1], 1), harmonics(1, 11025, 300, [1], 1), 11025);
    const notWav = Buffer.from('OggS this is an unrelated file that is certainly no RIFF/WAVE file at all');
    const truncated = Buffer.from('RIFF');
    const files: Array<[string, Buffer]> = [
      ['mono', mono],
      ['odd-rate', odd],
      ['good', good.wav],
      ['not-wav', notWav],
      ['truncated', truncated],
    ];
    let minute = 0;
    for (const [id, file] of files) {
      await store.put(`recordings/${id}.wav`, file, { contentType: 'audio/wav' });
      conversations.add(conversationRow(id, `recordings/${id}.wav`, file, `2025-10-01T10:0${minute++}:00.000Z`));
    }
    const before = Object.fromEntries(files.map(([id]) => [id, conversations.row(id)]));

    const c = newCompression();
    await runJobs();

    expect(conversations.row('good')).toMatchObject({ storageKey: 'recordings/good.opus', format: OPUS_CONTENT_TYPE });
    expect(decodeOggOpus(fs.readFileSync(store.resolveKey('recordings/good.opus')), 8000).samples).toBe(8000);
    for (const [id] of files.filter(([i]) => i !== 'good')) expect(conversations.row(id)).toEqual(before[id]);
    expect(c.stats).toMatchObject({ compressed: 1, supersededDeleted: 1, failed: 4 });
    expect(c.stats.compressedSeconds).toBeCloseTo(1, 9);

    const messages = errorMessages();
    expect(messages).toHaveLength(4);
    const about = (id: string) => messages.find(m => m.includes(`recordings/${id}.wav`));
    expect(about('mono')).toMatch(/recordings\/mono\.wav: 1 channel\(s\), a stereo recording expected/);
    expect(about('odd-rate')).toMatch(/recordings\/odd-rate\.wav: sample rate 11025 Hz cannot be encoded as Opus/);
    expect(about('not-wav')).toMatch(/recordings\/not-wav\.wav: .*not a RIFF\/WAVE file/);
    expect(about('truncated')).toMatch(/recordings\/truncated\.wav: not a complete WAV file/);
    for (const id of ['mono', 'odd-rate', 'not-wav', 'truncated']) expect(about(id)).toContain(`conversation ${id}`);

    expect(filesUnder(dir)).toEqual(
      [
        'good.opus',
        'good.opus.meta.json',
        ...files.filter(([id]) => id !== 'good').flatMap(([id]) => [`${id}.wav`, `${id}.wav.meta.json`]),
      ]
        .map(f => `recordings/${f}`)
        .sort(),
    );
    for (const [id, file] of files.filter(([i]) => i !== 'good')) {
      expect(sha256(fs.readFileSync(store.resolveKey(`recordings/${id}.wav`)))).toBe(sha256(file));
    }
  }, 30_000);

  it('an aborted job (the worker stops, or lost its lease) abandons the archive being encoded: the WAV stays the recording and no Opus file remains', async () => {
    // two minutes of 16 kHz PCM (one second of signal, repeated: quick to build)
    const second = pcm16Wav(1, 16000).wav.subarray(44);
    const wav = Buffer.concat([
      wavHeader({ encoding: 'pcm16', channels: 2, sampleRate: 16000 }, second.length * 120),
      ...Array.from({ length: 120 }, () => second),
    ]);
    const key = 'recordings/long.wav';
    await store.put(key, wav, { contentType: 'audio/wav' });
    await store.put(`${key}.peaks`, Buffer.from('peaks'), { contentType: PEAKS_CONTENT_TYPE });
    conversations.add(conversationRow('long', key, wav, '2025-10-01T10:00:00.000Z'));
    const before = conversations.row('long');
    const filesBefore = filesUnder(dir);

    const c = newCompression({ bitrate: 16000, complexity: 10 });
    const controller = new AbortController();
    const running = handler(jobFor('long'), controller.signal).then(
      () => 'done',
      (e: Error) => e.message,
    );
    // wait until the Opus file is being written (its temp file has encoded pages)
    const deadline = Date.now() + 20_000;
    for (;;) {
      const tmp = filesUnder(dir).find(f => f.startsWith('recordings/long.opus.tmp-'));
      if (tmp && fs.statSync(path.join(dir, tmp)).size > 0) break;
      if (Date.now() > deadline) throw new Error(`the Opus file was never started: ${filesUnder(dir).join(', ')}`);
      await new Promise(r => setTimeout(r, 2));
    }
    controller.abort();
    expect(await running).toMatch(/conversation long: .*cancel/);

    expect(conversations.row('long')).toEqual(before);
    expect(conversations.replaceCalls).toEqual([]);
    expect(sha256(fs.readFileSync(store.resolveKey(key)))).toBe(sha256(wav));
    expect(filesUnder(dir)).toEqual(filesBefore);
    expect(c.stats).toMatchObject({ compressed: 0, failed: 0, supersededDeleted: 0 });
    expect(errorMessages()).toEqual([]);
  }, 60_000);

  it.each([
    ['local files: the whole job on the encoder thread', false],
    ['another BlobStore: streamed through the calling thread', true],
  ])('encodes in the layer of the job\'s payload, else of the defaults (%s)', async (_how, viaStream) => {
    streamed = viaStream;
    // the taking process defaults to SILK; the enqueuing recorder's CELT wins, and back
    newCompression({ layer: 'silk', bitrate: 15000, complexity: 0, frameMs: 60, skipSilence: true });
    const jobs: Array<[string, CompressionOpusSettings | undefined, 'celt' | 'silk']> = [
      ['celt-job', DEFAULT_COMPRESSION_OPUS, 'celt'],
      ['silk-job', { ...DEFAULT_COMPRESSION_OPUS, layer: 'silk', bitrate: 15000 }, 'silk'],
      ['no-payload', undefined, 'silk'],
    ];
    for (const [id, opus, layer] of jobs) {
      const s = alawWav(2);
      const key = `recordings/${id}.wav`;
      await store.put(key, s.wav, { contentType: 'audio/wav' });
      conversations.add(conversationRow(id, key, s.wav, '2025-10-01T10:00:00.000Z'));
      await handler(jobFor(id, 1, opus), new AbortController().signal);
      const file = fs.readFileSync(store.resolveKey(`recordings/${id}.opus`));
      // the TOC of every stream's packets: CELT configurations are 16-31, SILK's 0-11
      const configs = new Set<number>();
      for (const p of readOggPackets(readOggPages(file)).slice(2))
        for (const stream of splitMultistreamPacket(p.data, 2)) if (stream.length > 1) configs.add(stream[0] >> 3);
      expect(configs.size).toBeGreaterThan(0);
      expect([...configs].every(c => (layer === 'celt' ? c >= 16 : c < 12))).toBe(true);
      expect(decodeOggOpus(file, 8000).samples).toBe(2 * 8000);
    }
    expect(errorMessages()).toEqual([]);
  }, 30_000);

  it('a later attempt writes its own file, replaces the WAV and deletes what the first attempt left', async () => {
    const s = alawWav(1);
    const key = 'recordings/retried.wav';
    await store.put(key, s.wav, { contentType: 'audio/wav' });
    await store.put(`${key}.peaks`, Buffer.from('peaks'), { contentType: PEAKS_CONTENT_TYPE });
    // the first attempt's worker was killed after it stored (part of) its Opus file
    await store.put('recordings/retried.opus', Buffer.from('half an Opus file'), { contentType: OPUS_CONTENT_TYPE });
    conversations.add(conversationRow('retried', key, s.wav, '2025-10-01T10:00:00.000Z'));

    const c = newCompression();
    await handler(jobFor('retried', 2), new AbortController().signal);

    const file = fs.readFileSync(store.resolveKey('recordings/retried.a2.opus'));
    expect(conversations.row('retried')).toMatchObject({ storageKey: 'recordings/retried.a2.opus', sha256: sha256(file) });
    expect(decodeOggOpus(file, 8000).tags.SOURCE_SHA256).toBe(sha256(s.wav));
    expect(filesUnder(dir)).toEqual([
      'recordings/retried.a2.opus',
      'recordings/retried.a2.opus.meta.json',
      'recordings/retried.a2.opus.peaks',
      'recordings/retried.a2.opus.peaks.meta.json',
    ]);
    expect(c.stats).toMatchObject({ compressed: 1, supersededDeleted: 1, failed: 0 });
  }, 30_000);

  it('leaves an archive still staged on a recorder (its upload enqueues the job again) and one with nothing to do', async () => {
    const s = alawWav(1);
    const key = 'recordings/staged.wav';
    await store.put(key, s.wav, { contentType: 'audio/wav' });
    conversations.add(conversationRow('staged', key, s.wav, '2025-10-01T10:00:00.000Z'));
    const before = conversations.row('staged');
    const c = newCompression();
    const stagedHandler = createCompressJobHandler({
      compression: c,
      archiveOf: async id => ({
        ...(await conversations.listArchivesToCompress({ limit: 10 })).find(i => i.conversationId === id)!,
        storageLocation: 'staged:recorder-1',
      }),
      defaults: { bitrate: 16000, complexity: 5 },
      logger,
    });
    await stagedHandler(jobFor('staged'), new AbortController().signal);
    await handler(jobFor('no-such-conversation'), new AbortController().signal);

    expect(conversations.row('staged')).toEqual(before);
    expect(conversations.replaceCalls).toEqual([]);
    expect(filesUnder(dir)).toEqual(['recordings/staged.wav', 'recordings/staged.wav.meta.json']);
    expect(logger.info.mock.calls.map(m => String(m[0]))).toContainEqual(
      expect.stringMatching(/conversation staged is still staged \(staged:recorder-1\); compressed after its upload/),
    );
  }, 30_000);
});

