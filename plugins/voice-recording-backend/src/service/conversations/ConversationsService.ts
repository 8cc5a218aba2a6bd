import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  Conversation,
  ConversationLabel,
  ConversationLegalHold,
  csvRow,
} from '@mvr/plugin-voice-recording-common';
import { ArchiveJobQueue, BlobStore, ConversationQuery, decodePeaks, reducePeaks } from '@mvr/plugin-voice-recording-node';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import { ZipFile } from 'yazl';
import { StoredKind, storedKind } from '../../audio/pcm';
import { AudioDerivation, AudioDerivations, DerivedAudio } from '../../audio/derivations';
import {
  ConversationSearchFilters,
  ConversationSearchQuery,
  ConversationSearchStore,
  qualityWarnings,
} from '../../database/ConversationSearchStore';
import { Actor, AuditRecorder } from '../AuditRecorder';

type Visibility = PermissionCriteria<ConversationQuery> | undefined;

export const OGG_OPUS_CONTENT_TYPE = 'audio/ogg; codecs=opus';
export const WAV_CONTENT_TYPE = 'audio/wav';
/** Largest selection one ZIP export takes. */
export const MAX_EXPORT_CONVERSATIONS = 1000;

export type AudioFormat = 'ogg' | 'wav';

/** What the audio endpoint serves: a blob of the store (original or derived). */
export interface AudioBlob {
  key: string;
  size: number;
  contentType: string;
  etag: string;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** `2026-11-25_1030_+32470123456_+32471234567` in the plugin's time zone. */
export function conversationFileBase(c: Conversation, timeZone: string): string {
  const t = DateTime.fromISO(c.startedAt, { zone: timeZone });
  const safe = (s: string) => s.replace(/[^A-Za-z0-9+._-]/g, '_');
  return [t.toFormat('yyyy-MM-dd_HHmm'), safe(c.number), safe(c.otherParty ?? 'unknown')].join('_');
}

const formatsOf = (kind: StoredKind | undefined) =>
  kind === 'opus' ? ['ogg', 'wav'] : ['wav'];

const summaryOf = (c: Conversation) => {
  const { metadata: _m, ...rest } = c;
  return { ...rest, qualityWarnings: qualityWarnings(c) };
};

/**
 * What an access entry says about the call: the recorded number and user, the
 * direction, the other party and the length, so that the audit trail names the call
 * ("+32471234567 → +32476333444 (0:14)") without reading the conversation again.
 */
function conversationAuditDetails(c: Conversation): Record<string, string | number> {
  return {
    number: c.number,
    userRef: c.userRef,
    ...(c.direction ? { direction: c.direction } : {}),
    ...(c.otherParty ? { otherParty: c.otherParty } : {}),
    ...(c.durationMs !== undefined && c.durationMs !== null ? { durationMs: c.durationMs } : {}),
  };
}

/**
 * Conversations for the portal: search, details, audio for playback (original or a
 * derived WAV), waveform peaks, MP3 download and ZIP export. Derived files (WAV, MP3,
 * waveform) are computed once and cached in the blob store next to nothing else:
 * under `derived/<conversation id>/<sha256 prefix>/...`. Each access is audited.
 */
/**
 * `legalHold` for everyone; the holds themselves (their references) only for those who
 * read every conversation (no visibility criteria: the admins).
 */
function holdFields(
  holds: ConversationLegalHold[] | undefined,
  visibility: Visibility,
): { legalHold: boolean; legalHolds?: ConversationLegalHold[] } {
  const held = (holds?.length ?? 0) > 0;
  return visibility ? { legalHold: held } : { legalHold: held, legalHolds: holds ?? [] };
}

export class ConversationsService {
  private readonly inFlight = new Map<string, Promise<AudioBlob>>();
  private readonly derivations: AudioDerivations;

  constructor(
    private readonly options: {
      store: ConversationSearchStore;
      blobs: BlobStore;
      audit: AuditRecorder;
      logger: LoggerService;
      timeZone: string;
      mp3Kbps?: number;
      /** Where WAV, MP3 and waveforms are computed (default: one worker thread). */
      derivations?: AudioDerivations;
      /**
       * MP3s of calls longer than `inlineMaxMs` are built by a `derive` job of the archive
       * work queue (any process taking archive jobs) while the download answers 202: an
       * MP3 encode runs at about 35 times real time (a one-hour call: ~2 minutes, longer
       * than an HTTP request should wait). Absent: every MP3 is built in the request.
       */
      mp3Jobs?: { queue: ArchiveJobQueue; inlineMaxMs: number };
      /** The labels of conversations (cases), shown as chips in lists and details. */
      /** `visibility`: the caller's, which decides which labels they are shown. */
      labelsOf?: (
        ids: string[],
        visibility: Visibility,
      ) => Promise<Map<string, ConversationLabel[]>>;
      /**
       * The standing legal holds of conversations (docs/legal-hold.md); `visibility`:
       * the caller's (a standard user learns only of holds on cases they may see; only
       * those who read every conversation get the holds' references).
       */
      legalHoldsOf?: (
        ids: string[],
        visibility: Visibility,
      ) => Promise<Map<string, ConversationLegalHold[]>>;
    },
  ) {
    this.derivations = options.derivations ?? new AudioDerivations();
  }

  /** Ends the worker thread of the derivations. */
  close(): Promise<void> {
    return this.derivations.close();
  }

  async search(query: ConversationSearchQuery, visibility: Visibility) {
    const page = await this.options.store.search(query, visibility);
    const labels = await this.options.labelsOf?.(
      page.items.map(c => c.id),
      visibility,
    );
    const holds = await this.options.legalHoldsOf?.(
      page.items.map(c => c.id),
      visibility,
    );
    return {
      ...page,
      items: page.items.map(c => ({
        ...summaryOf(c),
        ...(labels ? { labels: labels.get(c.id) ?? [] } : {}),
        ...(holds ? holdFields(holds.get(c.id), visibility) : {}),
      })),
    };
  }

  /**
   * The conversation if visible; otherwise 404 (whether missing or not visible, so as
   * not to reveal it exists), auditing the attempt on an existing one as a denial.
   */
  async visible(
    actor: Actor,
    id: string,
    visibility: Visibility,
    action: string,
    permission: string = 'voice-recording.conversation.read',
  ): Promise<Conversation> {
    const c = await this.options.store.get(id, visibility);
    if (c) return c;
    if (visibility && (await this.options.store.get(id))) {
      await this.options.audit.record({
        actor,
        action: 'permission-denied',
        targetType: 'conversation',
        targetId: id,
        details: { permission, attempted: action },
        severity: 'medium',
      });
    }
    throw new NotFoundError(`conversation ${id} not found`);
  }

  /**
   * `playVisibility`: the caller's `conversation.play` decision (`deny`: none), telling
   * `audio.playable` (default: playable wherever visible).
   */
  async detail(
    actor: Actor,
    id: string,
    visibility: Visibility,
    playVisibility?: Visibility | 'deny',
  ) {
    const c = await this.visible(actor, id, visibility, 'conversation-view');
    const kind = storedKind(c.format);
    const available = Boolean(c.storageKey && kind && c.state === 'finished');
    let playable = available;
    if (available && playVisibility === 'deny') playable = false;
    else if (available && playVisibility !== undefined)
      playable = Boolean(await this.options.store.get(id, playVisibility as Exclude<typeof playVisibility, 'deny'>));
    const labels = (await this.options.labelsOf?.([c.id], visibility))?.get(
      c.id,
    );
    const holds = await this.options.legalHoldsOf?.([c.id], visibility);
    await this.options.audit.record({
      actor,
      action: 'conversation-view',
      targetType: 'conversation',
      targetId: c.id,
      details: conversationAuditDetails(c),
      severity: 'low',
    });
    return {
      ...c,
      ...(this.options.labelsOf ? { labels: labels ?? [] } : {}),
      ...(holds ? holdFields(holds.get(c.id), visibility) : {}),
      qualityWarnings: qualityWarnings(c),
      audio: {
        available,
        /** whether the caller may play it back (and see its waveform) */
        playable,
        formats: available ? formatsOf(kind) : [],
        durationMs: c.durationMs ?? 0,
      },
    };
  }

  /** A stored or derived blob, whole or one byte range. */
  openBlob(key: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.options.blobs.get(key, range);
  }

  private requireAudio(c: Conversation): { key: string; kind: StoredKind } {
    const kind = storedKind(c.format);
    if (!c.storageKey || !kind) {
      throw new NotFoundError(
        `conversation ${c.id} has no playable audio (state ${c.state}${
          c.format ? `, format ${c.format}` : ''
        })`,
      );
    }
    // staged on a recorder's disk, not yet in the object store (docs/object-storage.md)
    const staged = /^staged:(.+)$/.exec(c.storageLocation ?? '');
    if (staged) {
      throw new ServiceUnavailableError(
        `the recording of conversation ${c.id} is still being uploaded from recorder ${JSON.stringify(staged[1])} to object storage; try again in a moment`,
      );
    }
    return { key: c.storageKey, kind };
  }

  private derivedKey(c: Conversation, name: string): string {
    const version = (c.sha256 ?? 'nohash').slice(0, 16);
    return `derived/${c.id}/${version}/${name}`;
  }

  /** Computes a derived blob once (per process), or returns the cached one. */
  private async derived(
    key: string,
    contentType: string,
    make: () => Promise<Buffer>,
  ): Promise<AudioBlob> {
    const existing = await this.options.blobs.stat(key);
    if (existing) {
      return { key, size: existing.size, contentType, etag: `"${key}:${existing.size}"` };
    }
    let p = this.inFlight.get(key);
    if (!p) {
      p = (async () => {
        const body = await make();
        // a derived file may be rebuilt: never under Object Lock (objectLock.ts)
        const put = await this.options.blobs.put(key, body, {
          contentType,
          retention: null,
        });
        return { key, size: put.size, contentType, etag: `"${put.sha256}"` };
      })().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  /** Decodes the stored recording and derives from it, off the event loop. */
  private async derive(
    c: Conversation,
    job: (kind: StoredKind) => AudioDerivation,
  ): Promise<DerivedAudio> {
    const { key, kind } = this.requireAudio(c);
    const file = await readAll(await this.options.blobs.get(key));
    return this.derivations.run(file, job(kind));
  }

  /**
   * The blob to play. Stored Ogg/Opus is served as is (`ogg`) or decoded to a 16-bit PCM
   * WAV (`wav`); a stored WAV is served as is when PCM16, converted to PCM16 when G.711
   * (A-law/mu-law WAV does not play in every browser).
   */
  async audioBlob(c: Conversation, format: AudioFormat | undefined): Promise<AudioBlob> {
    const { key, kind } = this.requireAudio(c);
    const wanted = format ?? (kind === 'opus' ? 'ogg' : 'wav');
    if (wanted === 'ogg') {
      if (kind !== 'opus') {
        throw new InputError(`format: conversation ${c.id} is stored as ${c.format}, not Ogg/Opus; use format=wav`);
      }
      const st = await this.options.blobs.stat(key);
      if (!st) throw new NotFoundError(`audio of conversation ${c.id} is missing from storage`);
      return { key, size: st.size, contentType: OGG_OPUS_CONTENT_TYPE, etag: `"${c.sha256 ?? st.size}"` };
    }
    if (kind === 'wav') {
      const st = await this.options.blobs.stat(key);
      if (!st) throw new NotFoundError(`audio of conversation ${c.id} is missing from storage`);
      // PCM16 WAV: serve the original (header byte 20 = format code 1)
      const head = await readAll(await this.options.blobs.get(key, { start: 0, end: Math.min(st.size - 1, 63) }));
      if (head.length >= 22 && head.readUInt16LE(20) === 1) {
        return { key, size: st.size, contentType: WAV_CONTENT_TYPE, etag: `"${c.sha256 ?? st.size}"` };
      }
    }
    return this.derived(this.derivedKey(c, 'playback-pcm16.wav'), WAV_CONTENT_TYPE, async () => {
      const { bytes } = await this.derive(c, k => ({ op: 'wav', kind: k }));
      return bytes as Buffer;
    });
  }

  async recordPlayback(actor: Actor, c: Conversation, format: string) {
    await this.options.audit.record({
      actor,
      action: 'conversation-playback',
      targetType: 'conversation',
      targetId: c.id,
      details: { ...conversationAuditDetails(c), format },
      severity: 'low',
    });
  }

  /**
   * The waveform from the recorder's peak envelope (`<storageKey>.peaks`), without
   * decoding the audio; undefined when there is none or it is unusable (logged), so
   * that the caller decodes the recording instead.
   */
  private async waveformFromEnvelope(
    c: Conversation,
    points: number,
  ): Promise<{ peaks: number[][]; durationMs: number } | undefined> {
    if (!c.storageKey) return undefined;
    const key = `${c.storageKey}.peaks`;
    try {
      if (!(await this.options.blobs.stat(key))) return undefined; // older recordings, demo data
      const env = decodePeaks(await readAll(await this.options.blobs.get(key)), key);
      if (env.peaks.length !== 2) throw new Error(`${key}: ${env.peaks.length} channels, want 2`);
      const durationMs = Math.round((env.totalSamples * 1000) / env.sampleRate);
      if (c.durationMs && Math.abs(durationMs - c.durationMs) > 1000) {
        throw new Error(`${key}: covers ${durationMs} ms, the recording ${c.durationMs} ms`);
      }
      // finer than the envelope's spans (more than 100 points a second at 10 ms spans,
      // i.e. short calls, cheap to decode): the decode path resolves them
      if (points > env.peaks[0].length) return undefined;
      return { peaks: reducePeaks(env, points), durationMs };
    } catch (e) {
      this.options.logger.warn(
        `conversation ${c.id}: peak envelope unusable, decoding the recording for its waveform: ${(e as Error).message}`,
      );
      return undefined;
    }
  }

  async waveform(c: Conversation, points: number) {
    const blob = await this.derived(
      this.derivedKey(c, `waveform-${points}.json`),
      'application/json',
      async () => {
        this.requireAudio(c);
        const { peaks, durationMs } =
          (await this.waveformFromEnvelope(c, points)) ??
          (await this.derive(c, kind => ({ op: 'waveform', kind, points })));
        const [left, right] = peaks as number[][];
        return Buffer.from(
          JSON.stringify({
            durationMs,
            channels: [
              { label: 'left', party: c.number, role: 'recorded', peaks: left },
              { label: 'right', party: c.otherParty ?? 'other party', role: 'other', peaks: right },
            ],
          }),
        );
      },
    );
    return JSON.parse((await readAll(await this.options.blobs.get(blob.key))).toString('utf8'));
  }

  /** The `derive` job that builds a conversation's MP3 (one open job per archive version). */
  mp3JobSubject(c: Conversation): string {
    return `mp3:${this.derivedKey(c, `download-${this.options.mp3Kbps ?? 32}k.mp3`)}`;
  }

  /**
   * The MP3 when it is there or quick to make (built now, as `mp3`), else `preparing`: a
   * `derive` job builds it (enqueued once; any process taking archive jobs) and the
   * caller asks again after `retryAfterSeconds`.
   */
  async mp3OrPreparing(
    c: Conversation,
  ): Promise<{ blob: AudioBlob; filename: string } | { preparing: { retryAfterSeconds: number; jobId: string } }> {
    const jobs = this.options.mp3Jobs;
    if (!jobs || (c.durationMs ?? 0) <= jobs.inlineMaxMs) return this.mp3(c);
    const kbps = this.options.mp3Kbps ?? 32;
    const key = this.derivedKey(c, `download-${kbps}k.mp3`);
    const cached = await this.options.blobs.stat(key);
    if (cached) return this.mp3(c);
    this.requireAudio(c);
    const jobId = await jobs.queue.enqueue({
      kind: 'derive',
      subject: this.mp3JobSubject(c),
      conversationId: c.id,
      payload: { derivation: 'mp3', sha256: c.sha256 ?? null },
    });
    // about 35 times real time: a first look when a third of it is done, at most 30 s apart
    const retryAfterSeconds = Math.min(30, Math.max(2, Math.round((c.durationMs ?? 0) / 1000 / 35 / 3)));
    return { preparing: { retryAfterSeconds, jobId } };
  }

  /** MP3 (stereo, ID3 tags) of a conversation: encoded once, then cached. */
  async mp3(c: Conversation): Promise<{ blob: AudioBlob; filename: string }> {
    const kbps = this.options.mp3Kbps ?? 32;
    const blob = await this.derived(this.derivedKey(c, `download-${kbps}k.mp3`), 'audio/mpeg', async () => {
      const started = DateTime.fromISO(c.startedAt, { zone: this.options.timeZone });
      const tags = {
        title: `Call ${c.number} ${c.direction === 'incoming' ? '<-' : '->'} ${c.otherParty ?? 'unknown'} ${started.toFormat('yyyy-MM-dd HH:mm')}`,
        artist: `${c.number} (${c.userRef})`,
        albumArtist: c.otherParty ?? 'unknown',
        recordingTime: started.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
        comment: `conversation ${c.id}; ${c.direction ?? 'unknown direction'}; started ${c.startedAt}; ${Math.round((c.durationMs ?? 0) / 1000)} s; left: ${c.number}, right: ${c.otherParty ?? 'unknown'}; sha256 of the recording ${c.sha256 ?? 'n/a'}`,
      };
      const result = await this.derive(c, kind => ({ op: 'mp3', kind, tags, kbps }));
      this.options.logger.info(
        `MP3 of conversation ${c.id}: ${result.durationMs} ms audio encoded in ${Math.round(result.workMs)} ms (${(result.durationMs / Math.max(1, result.workMs)).toFixed(0)}x real time, worker thread)`,
      );
      return result.bytes as Buffer;
    });
    return { blob, filename: `${conversationFileBase(c, this.options.timeZone)}.mp3` };
  }

  async recordAccess(
    actor: Actor,
    action: string,
    c: Conversation,
    details: Record<string, string | number> = {},
    severity: 'low' | 'medium' = 'medium',
  ) {
    await this.options.audit.record({
      actor,
      action,
      targetType: 'conversation',
      targetId: c.id,
      details: { ...conversationAuditDetails(c), ...details },
      severity,
    });
  }

  /** The conversations of an export (every match, at most MAX_EXPORT_CONVERSATIONS). */
  async exportSelection(filters: ConversationSearchFilters, visibility: Visibility): Promise<Conversation[]> {
    const total = await this.options.store.count(filters, visibility);
    if (total > MAX_EXPORT_CONVERSATIONS) {
      throw new InputError(
        `export: the selection has ${total} conversations, more than the ${MAX_EXPORT_CONVERSATIONS} one export takes; narrow the filters`,
      );
    }
    const page = await this.options.store.search(
      { ...filters, sort: 'startedAt', order: 'asc', limit: MAX_EXPORT_CONVERSATIONS },
      visibility,
    );
    const labels = await this.options.labelsOf?.(
      page.items.map(c => c.id),
      visibility,
    );
    return labels
      ? page.items.map(c => ({ ...c, labels: labels.get(c.id) ?? [] }))
      : page.items;
  }

  /**
   * Streams a ZIP: `audio/<name>.<ogg|wav>` (the stored recordings, unchanged),
   * `manifest.csv`, `manifest.json` and `SHA256SUMS` (sha256sum format) of every file.
   */
  exportZip(conversations: Conversation[], exportedBy: string): Readable {
    const zip = new ZipFile();
    const sums: string[] = [];
    const names = new Set<string>();
    const audioName = (c: Conversation) => {
      const ext = storedKind(c.format) === 'opus' ? 'ogg' : 'wav';
      let name = `audio/${conversationFileBase(c, this.options.timeZone)}.${ext}`;
      if (names.has(name)) name = name.replace(`.${ext}`, `_${c.id.slice(0, 8)}.${ext}`);
      names.add(name);
      return name;
    };
    const manifest = conversations.map(c => {
      const file = c.storageKey && storedKind(c.format) ? audioName(c) : undefined;
      return {
        id: c.id,
        file: file ?? '',
        number: c.number,
        userRef: c.userRef,
        direction: c.direction ?? '',
        otherParty: c.otherParty ?? '',
        startedAt: c.startedAt,
        endedAt: c.endedAt ?? '',
        durationMs: c.durationMs ?? '',
        state: c.state,
        format: c.format ?? '',
        recordingSha256: c.sha256 ?? '',
        bytes: c.bytes ?? '',
        dtmf: c.dtmf.map(d => d.digit).join(''),
        qualityWarnings: qualityWarnings(c).join('; '),
        // the recorder's quality check: verdict and reasons (codes: text)
        qualityVerdict: c.qualityCheck?.verdict ?? '',
        qualityReasons: (c.qualityCheck?.reasons ?? []).map(r => `${r.code}: ${r.text}`).join('; '),
        // who was on the call when; why the recorder stopped it mid-call
        participantHistory: participantHistoryText(c),
        recordingStopped: c.recordingStopped
          ? `${c.recordingStopped.at} ${c.recordingStopped.reason}: ${c.recordingStopped.message}`
          : '',
        // the labels it carries (its cases)
        labels: (c.labels ?? []).map(l => l.title).join('; '),
      };
    });
    const output = new PassThrough();
    zip.outputStream.on('error', e => output.destroy(e));
    zip.outputStream.pipe(output);
    const hashes: Promise<void>[] = [];
    conversations.forEach((c, i) => {
      const name = manifest[i].file;
      if (!name) return;
      let done!: () => void;
      let failed!: (e: Error) => void;
      hashes.push(new Promise<void>((res, rej) => { done = res; failed = rej; }));
      zip.addReadStreamLazy(name, { compress: false, mtime: new Date(c.startedAt) }, cb => {
        this.options.blobs.get(c.storageKey!).then(
          stream => {
            const hash = createHash('sha256');
            const pass = new PassThrough();
            stream.on('data', d => hash.update(d));
            stream.on('end', () => {
              sums.push(`${hash.digest('hex')}  ${name}`);
              done();
            });
            stream.on('error', e => { failed(e); pass.destroy(e); });
            stream.pipe(pass);
            cb(null, pass);
          },
          e => { failed(e); cb(e, undefined as any); },
        );
      });
    });
    const add = (name: string, body: Buffer) => {
      zip.addBuffer(body, name, { mtime: new Date() });
      sums.push(`${createHash('sha256').update(body).digest('hex')}  ${name}`);
    };
    // parties and names come from SIP metadata: every cell neutralised against formula injection
    add('manifest.csv', Buffer.from(stringifyCsv(manifest.map(csvRow), { header: true }), 'utf8'));
    add(
      'manifest.json',
      Buffer.from(JSON.stringify({ exportedAt: new Date().toISOString(), exportedBy, count: manifest.length, conversations: manifest }, null, 2), 'utf8'),
    );
    // SHA256SUMS last, once every audio entry has been read (and hashed) by the zip
    Promise.all(hashes).then(
      () => {
        zip.addBuffer(Buffer.from(`${sums.sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1)).join('\n')}\n`, 'utf8'), 'SHA256SUMS', { mtime: new Date() });
        zip.end();
      },
      e => {
        this.options.logger.error(`ZIP export failed: ${e}`);
        output.destroy(e);
      },
    );
    return output;
  }
}

/**
 * The participant history as one manifest cell: `<party> [recorded] <from>/<to or end>`
 * per period, oldest first, `; ` between them (ISO 8601 intervals); empty for
 * conversations recorded before it was kept.
 */
export function participantHistoryText(c: Pick<Conversation, 'participantHistory'>): string {
  return (c.participantHistory ?? [])
    .map(p => `${p.number ?? p.aor}${p.name ? ` (${p.name})` : ''}${p.recorded ? ' [recorded]' : ''} ${p.from}/${p.to ?? 'end'}`)
    .join('; ');
}
