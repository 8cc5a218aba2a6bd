/*
 * On-disk format of a call journal (one file per call, append-only).
 *
 *   file   := MAGIC record*
 *   MAGIC  := "MVRJRNL1" (8 bytes)
 *   record := SYNC(4) length(u32 LE) crc(u32 LE) type(u8) body(length-1 bytes)
 *
 * `length` counts type + body. `crc` is the CRC-32 (zlib) of the length field,
 * type and body, so a damaged length is caught too. A record cut short by a crash
 * (torn tail) or damaged in the middle fails its CRC; the reader then looks for the
 * next SYNC at which a whole valid record starts (resynchronisation) and reports
 * what it skipped.
 */
import { crc32 } from 'node:zlib';

export const JOURNAL_MAGIC = Buffer.from('MVRJRNL1', 'ascii');
export const RECORD_SYNC = Buffer.from([0xb5, 0x4a, 0x52, 0x1a]);
export const RECORD_HEADER_BYTES = 12;
/** upper bound of one record (type + body); a channel's audio record holds up to 512 KiB */
export const MAX_RECORD_BYTES = 1024 * 1024;
export const JOURNAL_EXTENSION = '.mvrj';

export enum RecordType {
  Header = 1,
  Audio = 2,
  Dtmf = 3,
  Quality = 4,
  Metadata = 5,
  End = 6,
  /** audio the journal could not keep (see DroppedAudio) */
  Dropped = 7,
}

/** How audio of a channel is stored in the journal. */
export type ChannelEncoding = 'pcm16' | 'pcmu' | 'pcma';
export const ENCODING_CODES: Record<ChannelEncoding, number> = { pcm16: 0, pcmu: 1, pcma: 2 };
export const ENCODING_BY_CODE: ChannelEncoding[] = ['pcm16', 'pcmu', 'pcma'];

/** Where a channel goes in the stereo archive: recorded user LEFT, other party RIGHT, mixed BOTH. */
export type ChannelRole = 'recorded' | 'other' | 'mixed';

export interface JournalChannel {
  index: number;
  role: ChannelRole;
  encoding: ChannelEncoding;
  /** SDP a=label, participant id, codec name... free-form */
  label?: string;
  codec?: string;
}

export interface JournalHeader {
  format: 'mvr-call-journal';
  version: 1;
  callId: string;
  /** ISO 8601 */
  startedAt: string;
  /** timeline rate: sample offsets and PCM are at this rate */
  sampleRate: number;
  channels: JournalChannel[];
  metadata?: unknown;
}

export interface DtmfEvent {
  channel: number;
  offsetSamples: number;
  digit: string;
  durationSamples?: number;
}

/**
 * A channel's figures: counters (packetsReceived, packetsLost, late, ...) and, in the
 * figures written at the end of a call (`final`), the codec and the RTP sources. The
 * recorder writes them with every flush that holds new audio (so after a crash they
 * count the audio recovered) and once more, final, before the end record.
 */
export interface QualityCounters {
  channel: number;
  /** timeline position the counters refer to */
  offsetSamples?: number;
  /** the figures at the end of the call (written just before the end record) */
  final?: boolean;
  label?: string;
  codec?: string;
  sources?: string[];
  packetsReceived?: number;
  packetsLost?: number;
  /** the other counters of the recorder's receivers (late, duplicates, gaps, ...) */
  [counter: string]: unknown;
}

/**
 * Audio of a channel the journal did not keep: `memory-budget` when frames arrived
 * while the disk could not take the call's buffered audio and that buffer had reached
 * its budget (written as a record once the disk takes it), `not-written` when frames
 * were still in memory when the journal gave up (at the recorder's stop, the disk still
 * full: known to the process only). Sample offsets on the call timeline, [from, to).
 */
export interface DroppedAudio {
  channel: number;
  fromSamples: number;
  toSamples: number;
  reason: 'memory-budget' | 'not-written';
}

export interface JournalEnd {
  /** e.g. 'bye', 'cancel', 'session-timer-expired', 'shutdown' */
  endedBy: string;
  /** ISO 8601 */
  endedAt: string;
  /** call length on the timeline (includes a trailing pause); default: end of the last frame */
  durationSamples?: number;
  reason?: string;
}

/** Payload bytes per sample for an encoding. */
export function bytesPerSample(encoding: ChannelEncoding): number {
  return encoding === 'pcm16' ? 2 : 1;
}

export function encodeRecord(type: RecordType, body: Buffer): Buffer {
  const length = body.length + 1;
  if (length > MAX_RECORD_BYTES) {
    throw new RangeError(`journal record of ${length} bytes exceeds ${MAX_RECORD_BYTES}`);
  }
  const rec = Buffer.alloc(RECORD_HEADER_BYTES + length);
  RECORD_SYNC.copy(rec, 0);
  rec.writeUInt32LE(length, 4);
  rec[12] = type;
  body.copy(rec, 13);
  rec.writeUInt32LE(recordCrc(rec.subarray(4, 8), rec.subarray(12)), 8);
  return rec;
}

export function recordCrc(lengthField: Buffer, typeAndBody: Buffer): number {
  return crc32(typeAndBody, crc32(lengthField)) >>> 0;
}

export function encodeJsonRecord(type: RecordType, value: unknown): Buffer {
  return encodeRecord(type, Buffer.from(JSON.stringify(value), 'utf8'));
}

/** audio body: channel u8, encoding u8, reserved u16, offset u64 LE, payload */
export const AUDIO_BODY_HEADER = 12;

/**
 * The record header and audio body header of an audio record whose payload follows
 * it in the file (the payload is not copied): SYNC, length, CRC over length, type,
 * body header and payload.
 */
export function encodeAudioRecordHeader(
  channel: number,
  encoding: ChannelEncoding,
  offsetSamples: number,
  payload: Uint8Array,
): Buffer {
  const length = 1 + AUDIO_BODY_HEADER + payload.length;
  if (length > MAX_RECORD_BYTES) {
    throw new RangeError(`journal record of ${length} bytes exceeds ${MAX_RECORD_BYTES}`);
  }
  const head = Buffer.allocUnsafe(RECORD_HEADER_BYTES + 1 + AUDIO_BODY_HEADER);
  head.set(RECORD_SYNC, 0);
  head.writeUInt32LE(length, 4);
  head[12] = RecordType.Audio;
  head[13] = channel;
  head[14] = ENCODING_CODES[encoding];
  head[15] = 0;
  head[16] = 0;
  // offset u64 LE (safe integers only, checked by the caller)
  head.writeUInt32LE(offsetSamples % 0x100000000, 17);
  head.writeUInt32LE(Math.floor(offsetSamples / 0x100000000), 21);
  const crc = crc32(payload, crc32(head.subarray(12), crc32(head.subarray(4, 8))));
  head.writeUInt32LE(crc >>> 0, 8);
  return head;
}
