/*
 * Turn a call journal into the archived recording: both parties on one timeline
 * (recorded user LEFT, other party RIGHT, a mixed stream on BOTH), gaps and pauses
 * filled with silence so the channels stay aligned, encoded as Ogg/Opus (default)
 * or lossless WAV, stored through the BlobStore. The journal is deleted only after
 * the blob is durable, so a failure at any point leaves it for a retry/recovery.
 */
import * as fs from 'node:fs/promises';
import { endianness } from 'node:os';
import * as path from 'node:path';
import {
  OggOpusEncoding,
  OpusEncoderPool,
  PEAKS_CONTENT_TYPE,
  PeakEnvelopeBuilder,
  SpeechActivityDetector,
  encodePeaks,
  inThreadOggOpusEncoding,
} from '@mvr/plugin-voice-recording-node';
import { OggOpusWriterOptions, OpusSampleRate } from '../audio/opusFile';
import { interleaveBytes, interleavePcm16, wavHeader } from '../audio/wav';
import { BlobStore, fsyncDir } from '../storage/BlobStore';
import {
  AudioIndexEntry,
  ChannelEncoding,
  JournalChannel,
  JournalEnd,
  JournalHeader,
  JournalScan,
  journalContents,
  readAudioPayloads,
  scanJournal,
} from './CallJournal';

export type ArchiveFormat = 'opus' | 'wav-g711';
/** what was actually produced: wav-g711 falls back to 16-bit PCM WAV when the bytes cannot be kept */
export type ProducedFormat = 'opus' | 'wav-g711-mulaw' | 'wav-g711-alaw' | 'wav-pcm16';

/** G.711 expansion (from src/codecs). */
export type G711Decoder = (law: 'pcmu' | 'pcma', bytes: Uint8Array) => Int16Array;

export interface FinalizeInput {
  journalPath: string;
  header: JournalHeader;
  scan: JournalScan;
  endedBy: string;
  endedAt: string;
  durationSamples: number;
  reason?: string;
}

export interface FinalizeOptions {
  blobStore: BlobStore;
  /** default: defaultStorageKey(header, extension) */
  storageKey?: string;
  format?: ArchiveFormat;
  opus?: Omit<OggOpusWriterOptions, 'sampleRate' | 'channels'>;
  /** Encode Opus on these worker threads (default: on the calling thread, one archive at a time). */
  opusPool?: OpusEncoderPool;
  /** needed when G.711 channels must be decoded (opus, or mixed-law lossless) */
  decodeG711?: G711Decoder;
  /** default true */
  deleteJournal?: boolean;
  /**
   * Object Lock of the archive's put (docs/object-storage.md): `{ retention: null }` for
   * an interim WAV that compression will replace; absent: the store's default (a final
   * archive: `objectLock.retentionDays` from the put, the retention policies' end being
   * known only once the conversation is finished). The peaks are never locked.
   */
  archiveLock?: { retention?: null };
  /**
   * Fed with the rendered timeline (left = recorded side, right = other side) for the
   * quality check (call/qualityCheck.ts): the archive step measures speech activity on
   * the audio it renders anyway.
   */
  speech?: SpeechActivityDetector;
}

export interface FinalizeResult {
  storageKey: string;
  sha256: string;
  bytes: number;
  durationMs: number;
  format: ProducedFormat;
  contentType: string;
  endedBy: string;
  endedAt: string;
  journalDeleted: boolean;
  /**
   * Key of the peak envelope sidecar (`<storageKey>.peaks`, see
   * @mvr/plugin-voice-recording-node peaks.ts); undefined when it could not be stored
   * (then `peaksError` says why: the archive is kept, the portal decodes it instead).
   */
  peaksKey?: string;
  peaksError?: string;
}

export class FinalizeError extends Error {
  constructor(message: string, readonly journalPath: string) {
    super(message);
    this.name = 'FinalizeError';
  }
}

/** Build the finalization input of a scanned journal; `end` overrides its end record. */
export function finalizeInputFromScan(scan: JournalScan, end?: JournalEnd): FinalizeInput {
  if (!scan.header) throw new FinalizeError(`${scan.path} has no valid header record`, scan.path);
  const e = end ?? scan.end;
  if (!e) throw new FinalizeError(`${scan.path} has no end record (use recovery)`, scan.path);
  return {
    journalPath: scan.path,
    header: scan.header,
    scan,
    endedBy: e.endedBy,
    endedAt: e.endedAt,
    durationSamples: Math.max(e.durationSamples ?? 0, scan.lastFrameEnd),
    reason: e.reason,
  };
}

/** Scan an ended journal (live path, after CallJournal.end()). */
export async function loadFinalizeInput(journalPath: string): Promise<FinalizeInput> {
  return finalizeInputFromScan(await scanJournal(journalPath));
}

export function defaultStorageKey(header: JournalHeader, extension: string): string {
  const d = new Date(header.startedAt);
  const pad = (n: number) => String(n).padStart(2, '0');
  const safe = header.callId.replace(/[^A-Za-z0-9_.@+-]/g, '_').replace(/^[.]+/, '_').slice(0, 80) || 'call';
  return `recordings/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${safe}-${d.getTime()}.${extension}`;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * How many Opus archives are encoded at once. On the calling thread: one (the
 * encoder is synchronous, more at once only adds memory). With a worker pool: two
 * per worker, so a worker encodes one call while the event loop renders the next
 * call's window.
 */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>(resolve => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}
const opusEncoders = new Slots(1);
const poolSlots = new WeakMap<OpusEncoderPool, Slots>();
function encoderSlots(pool: OpusEncoderPool | undefined): Slots {
  if (!pool || pool.threads === 0) return opusEncoders;
  let slots = poolSlots.get(pool);
  if (!slots) {
    slots = new Slots(pool.threads * 2);
    poolSlots.set(pool, slots);
  }
  return slots;
}

const SILENCE: Record<'pcmu' | 'pcma', number> = { pcmu: 0xff, pcma: 0xd5 };

interface Sides {
  left: JournalChannel[];
  right: JournalChannel[];
}

function sidesOf(header: JournalHeader): Sides {
  return {
    left: header.channels.filter(c => c.role === 'recorded' || c.role === 'mixed'),
    right: header.channels.filter(c => c.role === 'other' || c.role === 'mixed'),
  };
}

/** Walks the indexed frames window by window (frames sorted per channel). */
class FrameCursor {
  private readonly perChannel = new Map<number, AudioIndexEntry[]>();
  private readonly pos = new Map<number, number>();
  constructor(entries: AudioIndexEntry[]) {
    for (const e of entries) {
      const list = this.perChannel.get(e.channel) ?? [];
      list.push(e);
      this.perChannel.set(e.channel, list);
    }
    for (const [ch, list] of this.perChannel) {
      list.sort((a, b) => a.offsetSamples - b.offsetSamples);
      this.pos.set(ch, 0);
    }
  }

  /**
   * frames of `channel` overlapping [w0, w1), in the order they were written: where
   * two overlap, the one written last is painted last and wins
   */
  take(channel: number, w0: number, w1: number): AudioIndexEntry[] {
    const list = this.perChannel.get(channel);
    if (!list) return [];
    let i = this.pos.get(channel)!;
    while (i < list.length && list[i].offsetSamples + list[i].samples <= w0) i++;
    this.pos.set(channel, i);
    const out: AudioIndexEntry[] = [];
    for (let j = i; j < list.length && list[j].offsetSamples < w1; j++) {
      if (list[j].offsetSamples + list[j].samples > w0) out.push(list[j]);
    }
    if (out.length > 1) out.sort((a, b) => a.filePos - b.filePos);
    return out;
  }
}

function toPcm(encoding: ChannelEncoding, payload: Buffer, decode: G711Decoder | undefined, file: string): Int16Array {
  if (encoding === 'pcm16') {
    // journal payloads are little-endian; copy into an aligned array
    const out = new Int16Array(payload.length / 2);
    new Uint8Array(out.buffer).set(payload);
    if (!LITTLE_ENDIAN) Buffer.from(out.buffer).swap16();
    return out;
  }
  if (!decode) {
    throw new FinalizeError(`${file}: ${encoding} audio needs a G.711 decoder (FinalizeOptions.decodeG711)`, file);
  }
  return decode(encoding, payload);
}

/**
 * Yields the stereo timeline in windows of `windowSamples`. In 'g711' mode the
 * payload bytes are copied unchanged, otherwise everything is 16-bit PCM.
 */
async function* renderWindows(
  input: FinalizeInput,
  mode: { kind: 'pcm'; decode?: G711Decoder } | { kind: 'g711'; law: 'pcmu' | 'pcma' },
  windowSamples: number,
  peaks?: PeakEnvelopeBuilder,
  speech?: SpeechActivityDetector,
): AsyncGenerator<{ left: Int16Array | Uint8Array; right: Int16Array | Uint8Array }> {
  const sides = sidesOf(input.header);
  const cursor = new FrameCursor(input.scan.audio);
  const contents = journalContents(input.scan);
  // the scan kept the journal's bytes (it read it whole): no second open to read them again
  const handle = contents ? undefined : await fs.open(input.journalPath, 'r');
  const direct = contents !== undefined && mode.kind === 'g711';
  try {
    for (let w0 = 0; w0 < input.durationSamples; w0 += windowSamples) {
      const w1 = Math.min(w0 + windowSamples, input.durationSamples);
      const n = w1 - w0;
      // each channel's frames of the window and, in the same order, their payloads
      const frames = new Map<number, { list: AudioIndexEntry[]; payloads: Buffer[] }>();
      const lists = input.header.channels.map(c => cursor.take(c.index, w0, w1));
      // G.711 kept as it is, from the journal's bytes in memory: each frame's bytes are
      // copied straight from there (no Buffer object per 20 ms frame)
      const payloads =
        direct ? [] : await readAudioPayloads(handle, lists.length === 1 ? lists[0] : lists.flat(), contents);
      let at = 0;
      input.header.channels.forEach((c, i) => {
        frames.set(c.index, { list: lists[i], payloads: payloads.slice(at, at + lists[i].length) });
        at += lists[i].length;
      });

      const renderChannel = (ch: JournalChannel): Int16Array | Uint8Array => {
        const { list, payloads: bytes } = frames.get(ch.index)!;
        if (mode.kind === 'g711') {
          const out = Buffer.alloc(n, SILENCE[mode.law]);
          for (let f = 0; f < list.length; f++) {
            const e = list[f];
            const from = Math.max(w0, e.offsetSamples);
            const to = Math.min(w1, e.offsetSamples + e.samples);
            if (direct) {
              contents!.copy(out, from - w0, e.filePos + from - e.offsetSamples, e.filePos + to - e.offsetSamples);
            } else {
              out.set(bytes[f].subarray(from - e.offsetSamples, to - e.offsetSamples), from - w0);
            }
          }
          return out;
        }
        const out = new Int16Array(n);
        for (let f = 0; f < list.length; f++) {
          const e = list[f];
          const pcm = toPcm(e.encoding, bytes[f], mode.decode, input.journalPath);
          const from = Math.max(w0, e.offsetSamples);
          const to = Math.min(w1, e.offsetSamples + pcm.length);
          if (to > from) out.set(pcm.subarray(from - e.offsetSamples, to - e.offsetSamples), from - w0);
        }
        return out;
      };

      const renderSide = (chs: JournalChannel[]): Int16Array | Uint8Array => {
        if (mode.kind === 'g711') {
          return chs.length ? renderChannel(chs[0]) : new Uint8Array(n).fill(SILENCE[mode.law]);
        }
        if (chs.length === 0) return new Int16Array(n);
        if (chs.length === 1) return renderChannel(chs[0]);
        const sum = new Int32Array(n);
        for (const ch of chs) {
          const pcm = renderChannel(ch) as Int16Array;
          for (let i = 0; i < n; i++) sum[i] += pcm[i];
        }
        const out = new Int16Array(n);
        for (let i = 0; i < n; i++) out[i] = Math.max(-32768, Math.min(32767, sum[i]));
        return out;
      };

      const window = { left: renderSide(sides.left), right: renderSide(sides.right) };
      if (peaks) {
        if (mode.kind === 'g711') {
          peaks.pushG711([window.left as Uint8Array, window.right as Uint8Array], mode.law);
        } else {
          peaks.push([window.left, window.right]);
        }
      }
      if (speech) {
        if (mode.kind === 'g711') speech.pushG711([window.left as Uint8Array, window.right as Uint8Array], mode.law);
        else speech.push([window.left as Int16Array, window.right as Int16Array]);
      }
      yield window;
    }
  } finally {
    await handle?.close();
  }
}

function interleaveInt16(left: Int16Array, right: Int16Array): Int16Array {
  const out = new Int16Array(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

/** The law to keep bytes of, when the lossless G.711 layout is possible. */
function losslessLaw(header: JournalHeader): 'pcmu' | 'pcma' | undefined {
  const encodings = new Set(header.channels.map(c => c.encoding));
  if (encodings.size !== 1) return undefined;
  const [enc] = [...encodings];
  if (enc === 'pcm16') return undefined;
  const sides = sidesOf(header);
  if (sides.left.length > 1 || sides.right.length > 1) return undefined; // would need mixing
  return enc;
}

export async function finalizeRecording(input: FinalizeInput, options: FinalizeOptions): Promise<FinalizeResult> {
  const { header } = input;
  const format = options.format ?? 'opus';
  const rate = header.sampleRate;
  const windowSamples = rate; // 1 s windows keep memory flat for long calls
  // peak envelope of the rendered timeline (10 ms spans), stored next to the archive
  const peaks = new PeakEnvelopeBuilder({ sampleRate: rate, samplesPerPeak: Math.max(1, Math.round(rate / 100)), channels: 2 });
  let produced: ProducedFormat;
  let contentType: string;
  let extension: string;
  let body: AsyncGenerator<Buffer>;
  let opus: OggOpusEncoding | undefined;
  let releaseEncoder: (() => void) | undefined;

  if (format === 'opus') {
    if (![8000, 12000, 16000, 24000, 48000].includes(rate)) {
      throw new FinalizeError(`${input.journalPath}: sample rate ${rate} cannot be encoded as Opus`, input.journalPath);
    }
    releaseEncoder = await encoderSlots(options.opusPool).acquire();
    produced = 'opus';
    contentType = 'audio/ogg; codecs=opus';
    extension = 'opus';
    let writer: OggOpusEncoding;
    try {
      const writerOptions: OggOpusWriterOptions = {
        ...options.opus,
        sampleRate: rate as OpusSampleRate,
        channels: 2,
        tags: { CALL_ID: header.callId, STARTED_AT: header.startedAt, ENDED_BY: input.endedBy, ...options.opus?.tags },
      };
      writer = options.opusPool ? options.opusPool.createWriter(writerOptions) : inThreadOggOpusEncoding(writerOptions);
    } catch (e) {
      releaseEncoder();
      throw e;
    }
    opus = writer;
    body = (async function* opusBody() {
      for await (const w of renderWindows(input, { kind: 'pcm', decode: options.decodeG711 }, windowSamples, peaks, options.speech)) {
        for (const page of await writer.write(interleaveInt16(w.left as Int16Array, w.right as Int16Array))) yield page;
      }
      for (const page of await writer.end()) yield page;
    })();
  } else {
    const law = losslessLaw(header);
    extension = 'wav';
    contentType = 'audio/wav';
    if (law) {
      produced = law === 'pcmu' ? 'wav-g711-mulaw' : 'wav-g711-alaw';
      const wavLaw = law === 'pcmu' ? 'mulaw' : 'alaw';
      body = (async function* g711Body() {
        yield wavHeader({ encoding: wavLaw, channels: 2, sampleRate: rate }, input.durationSamples * 2);
        for await (const w of renderWindows(input, { kind: 'g711', law }, windowSamples, peaks, options.speech)) {
          yield interleaveBytes(w.left as Uint8Array, w.right as Uint8Array);
        }
      })();
    } else {
      produced = 'wav-pcm16';
      body = (async function* pcmBody() {
        yield wavHeader({ encoding: 'pcm16', channels: 2, sampleRate: rate }, input.durationSamples * 4);
        for await (const w of renderWindows(input, { kind: 'pcm', decode: options.decodeG711 }, windowSamples, peaks, options.speech)) {
          yield interleavePcm16(w.left as Int16Array, w.right as Int16Array);
        }
      })();
    }
  }

  let stored;
  try {
    const storageKey = options.storageKey ?? defaultStorageKey(header, extension);
    stored = await options.blobStore.put(storageKey, body, { contentType, ...options.archiveLock });
  } finally {
    opus?.abort();
    releaseEncoder?.();
  }

  // A derived artefact (not the evidence, not in the SHA-256): failing to store it
  // does not fail the archive.
  let peaksKey: string | undefined;
  let peaksError: string | undefined;
  try {
    const key = `${stored.key}.peaks`;
    // derived, rebuilt from the archive when missing: never under Object Lock
    await options.blobStore.put(key, encodePeaks(peaks.finish()), { contentType: PEAKS_CONTENT_TYPE, retention: null });
    peaksKey = key;
  } catch (e) {
    peaksError = `storing the peak envelope of ${stored.key} failed: ${(e as Error).message}`;
  }

  let journalDeleted = false;
  if (options.deleteJournal ?? true) {
    // the blob is durable (put = fsync + rename + directory fsync): the journal may go
    await fs.unlink(input.journalPath);
    await fsyncDir(path.dirname(input.journalPath));
    journalDeleted = true;
  }
  return {
    storageKey: stored.key,
    sha256: stored.sha256,
    bytes: stored.size,
    durationMs: Math.round((input.durationSamples * 1000) / rate),
    format: produced,
    contentType,
    endedBy: input.endedBy,
    endedAt: input.endedAt,
    journalDeleted,
    peaksKey,
    peaksError,
  };
}
