import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConversationAudioIssue,
  ConversationDtmfEvent,
  ConversationEndReason,
  ConversationJsonObject,
  ConversationParticipant,
  ConversationQuality,
  ConversationRecordingStop,
  QualityVerdict,
  audioIssueText,
} from '@mvr/plugin-voice-recording-common';
import {
  CaptureContext,
  CaptureParticipantInput,
  CaptureRecordedNumber,
  ConversationPatch,
  LookupAndDecideResult,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
import { CallJournal, DEFAULT_JOURNAL_FLUSH_MS, JournalReservation } from '../capture/CallJournal';
import type { JournalSyncGroup } from '../capture/JournalSyncGroup';
import { ChannelEncoding, ChannelRole, JournalChannel } from '../capture/journalFormat';
import { ArchiveFormat, finalizeInputFromScan } from '../capture/finalize';
import { scanJournal } from '../capture/CallJournal';
import { BoundRtpSocket } from '../media/PortAllocator';
import { ChannelQuality, NARROWBAND_RATE, RtpReceiver, TimelineRate, WIDEBAND_RATE } from '../media/RtpReceiver';
import { NegotiatedStream, RecordingMetadata, participantsForLabel } from '../siprec';
import { safeLogText } from '../sip/message';
import { BlobStore } from '../storage/BlobStore';
import { undecodablePayloads } from './audioIssues';
import { RateLimitedLog } from '../server/RateLimitedLog';
import { setupBudgetExceeded, shortStoreMessage, withDeadline } from './databaseHealth';
import { lostAudio, lostAudioText } from './quality';
import { ParticipantUpdate } from './participantUpdate';
import { RegistrationQueue } from './RegistrationQueue';
import { ArchiveOptions, JournalCallInfo, RegistrationJob, archiveJournal } from './register';

export interface CallSessionDeps {
  ctx: CaptureContext;
  blobStore: BlobStore;
  journalDir: string;
  archiveFormat: ArchiveFormat;
  /** Opus encoder settings and threads (see ArchiveOptions) */
  opus?: ArchiveOptions['opus'];
  opusPool?: ArchiveOptions['opusPool'];
  /** see ArchiveOptions.compressTo */
  compressTo?: ArchiveOptions['compressTo'];
  /** see ArchiveOptions.qualityCheck */
  qualityCheck?: ArchiveOptions['qualityCheck'];
  instanceId: string;
  logger: LoggerService;
  /** RTP inactivity (ms) after which a call whose BYE never came is ended; 0 = off. */
  rtpTimeoutMs: number;
  journalFlushMs?: number;
  /** the recorder's journal group commit (CallJournalOptions.syncGroup); absent: O_DSYNC per journal */
  journalSyncGroup?: JournalSyncGroup;
  /** memory budget of a call's journal while its disk cannot take it (CallJournalOptions.maxPendingBytes) */
  journalMemoryBudgetBytes?: number;
  /**
   * Aborted when the recorder stops for good: a call that ended while its journal's
   * disk was full stops waiting for the disk and registers what was lost.
   */
  shutdown?: AbortSignal;
  /**
   * Where registrations go (retried while the database is unavailable; the journal
   * stays until the conversation is finished). Default: a queue of this session's own.
   */
  registrations?: RegistrationQueue;
  now?: () => number;
}

export interface CallSessionStart {
  sipCallId: string;
  decision: LookupAndDecideResult & { recordedNumber: CaptureRecordedNumber };
  metadata?: RecordingMetadata;
  rawMetadata?: string;
  streams: NegotiatedStream[];
  /** Bound sockets of the accepted streams, by stream index. */
  sockets: Map<number, BoundRtpSocket>;
  startedAt: Date;
  /**
   * Call set-up deadline (epoch ms) for `conversations.begin`, with the budget it
   * came from: past it `open` throws a retryable CaptureStoreError (the server answers
   * 503), and a conversation begun late is withdrawn: kept as the refused session
   * `refusal` (finished as failed only when it cannot be withdrawn).
   */
  setupDeadline?: {
    deadline: number;
    budgetMs: number;
    /**
     * The refused session the server records when the set-up fails (its id and
     * participants): a conversation begun late is withdrawn into it
     * (`conversations.withdrawRefused`) instead of staying as a failed conversation.
     */
    refusal?: { id: string; participants: CaptureParticipantInput[] };
  };
  /**
   * The call's journal file, created while its recording decision was looked up
   * (CallJournal.reserve); the session owns it from `open` on. Default: created here.
   */
  journal?: Promise<JournalReservation>;
  /** Ended by the session itself (inactivity, journal failure). */
  onSelfEnd?: (reason: ConversationEndReason, detail: string) => void;
}

/** journal write failures, one rate-limited log per logger (all calls of a recorder share it) */
const journalErrorLogs = new WeakMap<LoggerService, RateLimitedLog>();
function journalErrorLog(logger: LoggerService): RateLimitedLog {
  let log = journalErrorLogs.get(logger);
  if (!log) {
    log = new RateLimitedLog({ write: l => logger.error(l), noun: 'journal write failures' });
    journalErrorLogs.set(logger, log);
  }
  return log;
}

/**
 * A call with a G.722 stream is recorded wideband (16 kHz, every channel 16-bit PCM,
 * G.711 streams upsampled); a G.711-only call keeps its 8 kHz bytes as they came.
 */
export function timelineRateOf(streams: NegotiatedStream[]): TimelineRate {
  return streams.some(s => s.accepted && s.codec?.name === 'G722') ? WIDEBAND_RATE : NARROWBAND_RATE;
}

function encodingOf(codec: NegotiatedStream['codec'], rate: TimelineRate): ChannelEncoding {
  if (rate === WIDEBAND_RATE) return 'pcm16';
  if (codec?.name === 'PCMU') return 'pcmu';
  if (codec?.name === 'PCMA') return 'pcma';
  return 'pcm16';
}

/** Which side of the stereo archive each accepted stream goes to. */
export function assignRoles(
  streams: NegotiatedStream[],
  metadata: RecordingMetadata | undefined,
  recordedE164: string,
): Map<number, { role: ChannelRole; party?: string }> {
  const accepted = streams.filter(s => s.accepted);
  const out = new Map<number, { role: ChannelRole; party?: string }>();
  if (accepted.length === 1) {
    out.set(accepted[0].index, { role: 'mixed' });
    return out;
  }
  for (const s of accepted) {
    if (!metadata || s.label === undefined) continue;
    const { senders } = participantsForLabel(metadata, s.label);
    if (senders.length === 0) continue;
    const recorded = senders.some(p => p.e164 === recordedE164 || p.nameIds.some(n => n.e164 === recordedE164));
    if (senders.length > 1 && !recorded) out.set(s.index, { role: 'mixed', party: senders[0].aor });
    else out.set(s.index, { role: recorded ? 'recorded' : 'other', party: senders[0].aor });
  }
  // streams the metadata says nothing about: first free one is the recorded party
  let haveRecorded = [...out.values()].some(r => r.role === 'recorded');
  for (const s of accepted) {
    if (out.has(s.index)) continue;
    out.set(s.index, { role: haveRecorded ? 'other' : 'recorded' });
    haveRecorded = true;
  }
  return out;
}

/**
 * One recorded call: the conversation row, the call journal, one RTP receiver per
 * accepted stream, the inactivity watch, and at the end the archive and its
 * registration. The SIP side (dialog, answers) is the server's.
 */
export class CallSession {
  readonly conversationId: string;
  private journal!: CallJournal;
  private readonly receivers = new Map<number, RtpReceiver>();
  private readonly dtmf: ConversationDtmfEvent[] = [];
  private readonly channelParties: Record<number, string> = {};
  private metadata?: RecordingMetadata;
  /** the conversation's metadata column as written (per-stream data included): updates keep it whole */
  private conversationMetadata: ConversationJsonObject = {};
  /** why the recorder stopped recording mid-call (endedBy `policy`) */
  private recordingStopped?: ConversationRecordingStop;
  /** the participants on the call now (the decision's, then the last metadata update's) */
  private participantsNow: ConversationParticipant[];
  private ticker?: NodeJS.Timeout;
  private ending?: Promise<void>;
  /** per channel: the receiver's packet counters when the journal last got its figures */
  private readonly figuresMark = new Map<number, number>();
  /** the last metadata write, and what the database did not take (written at registration) */
  private metadataWrite?: Promise<void>;
  private unsavedPatch?: ConversationPatch;
  private readonly now: () => number;
  endedBy?: ConversationEndReason;
  /** why the archived recording holds no usable audio (set when the call has ended; see audioIssues.ts) */
  audioIssues: ConversationAudioIssue[] = [];
  /** the quality check's verdict on the archived recording (set when the call has ended and was checked) */
  qualityVerdict?: QualityVerdict;
  /** ms the conversation row's insert and the journal's creation took at set-up (they run together) */
  readonly setupWaits: { row?: number; journal?: number } = {};

  /** samples per second of the call's timeline: 16 kHz when a stream is G.722 */
  private readonly rate: TimelineRate;

  /** The Call-ID as log lines write it: control bytes and U+FFFD escaped, bounded (it comes from the peer). */
  readonly logCallId: string;

  private constructor(
    private readonly deps: CallSessionDeps,
    readonly start: CallSessionStart,
  ) {
    this.conversationId = randomUUID();
    this.logCallId = safeLogText(start.sipCallId);
    this.metadata = start.metadata;
    this.participantsNow = start.decision.participants;
    this.now = deps.now ?? Date.now;
    this.rate = timelineRateOf(start.streams);
  }

  get recordedNumber(): CaptureRecordedNumber {
    return this.start.decision.recordedNumber;
  }

  get isEnding(): boolean {
    return this.ending !== undefined;
  }

  get journalPath(): string {
    return this.journal.path;
  }

  private get registrations(): RegistrationQueue {
    this.deps.registrations ??= new RegistrationQueue({ conversations: this.deps.ctx.conversations, logger: this.deps.logger });
    return this.deps.registrations;
  }

  /** Registers a conversation that has no recording (queued while the database is unavailable). */
  private registerFailed(endedAt: Date, failureReason: string, quality?: ConversationQuality): Promise<boolean> {
    const job: RegistrationJob = {
      conversationId: this.conversationId,
      deleteJournal: false,
      finish: { endedAt, endedBy: 'error', failureReason, ...(quality ? { quality } : {}) },
    };
    return this.registrations.register(job);
  }

  /**
   * The conversation was begun after the set-up budget, so the call was answered 503:
   * it is withdrawn into the refused session the server recorded (same id: one record
   * whichever is written first). When it cannot be withdrawn (no longer recording, an
   * archive registered, the plugin cannot withdraw, the database fails), it is finished
   * as failed instead (queued while the database is unavailable).
   */
  private async withdrawLate(limit: NonNullable<CallSessionStart['setupDeadline']>): Promise<void> {
    const message = shortStoreMessage(setupBudgetExceeded('conversations.begin', limit.budgetMs).message);
    const { conversations } = this.deps.ctx;
    if (limit.refusal && conversations.withdrawRefused) {
      try {
        await conversations.withdrawRefused(this.conversationId, {
          id: limit.refusal.id,
          at: new Date(this.now()),
          participants: limit.refusal.participants,
          recordedNumber: this.recordedNumber,
          reason: 'storage-unavailable',
          message,
          sipCallId: this.start.sipCallId,
          siprecSessionId: this.metadata?.sessions[0]?.id,
          responseCode: 503,
          instanceId: this.deps.instanceId,
        });
        this.deps.logger.info(
          `call ${this.logCallId}: conversation ${this.conversationId} was begun after the call was refused (503): withdrawn, kept as refused session ${limit.refusal.id}`,
        );
        return;
      } catch (e) {
        this.deps.logger.warn(
          `call ${this.logCallId}: conversation ${this.conversationId} begun after its 503 cannot be withdrawn (${safeLogText((e as Error).message)}): finished as failed`,
        );
      }
    }
    await this.registerFailed(new Date(this.now()), `call refused (503): ${message}`);
  }

  /** Begins the conversation and the journal, and starts receiving. Throws when it cannot store. */
  static async open(deps: CallSessionDeps, start: CallSessionStart): Promise<CallSession> {
    const s = new CallSession(deps, start);
    await s.init();
    return s;
  }

  private async init(): Promise<void> {
    const { deps, start } = this;
    const { decision } = start;
    const roles = assignRoles(start.streams, start.metadata, decision.recordedNumber.number);
    const rate = this.rate;
    const channels: JournalChannel[] = [];
    for (const s of start.streams.filter(x => x.accepted)) {
      const r = roles.get(s.index)!;
      channels.push({ index: s.index, role: r.role, encoding: encodingOf(s.codec, rate), label: s.label, codec: s.codec?.name });
      if (r.party) this.channelParties[s.index] = r.party;
    }
    const extension = this.metadata?.extensionData.length ? { extensionData: this.metadata.extensionData } : {};
    this.conversationMetadata = {
      ...extension,
      streams: start.streams.map(s => ({ index: s.index, label: s.label, accepted: s.accepted, codec: s.codec?.name, direction: s.direction })),
    };
    const begin = deps.ctx.conversations.begin({
      id: this.conversationId,
      recordedNumber: decision.recordedNumber,
      direction: decision.direction,
      otherParty: decision.otherParty,
      startedAt: start.startedAt,
      codec: [...new Set(channels.map(c => c.codec).filter(Boolean))].join('+') || undefined,
      sipCallId: start.sipCallId,
      siprecSessionId: this.metadata?.sessions[0]?.id,
      participants: decision.participants,
      metadata: this.conversationMetadata,
      instanceId: deps.instanceId,
    });
    const limit = start.setupDeadline;
    const begun = limit
      ? withDeadline(begin, {
          ...limit,
          operation: 'conversations.begin',
          // the call was refused meanwhile (and recorded elsewhere): a refused session, not a conversation
          onLate: () => {
            this.withdrawLate(limit).catch(e =>
              deps.logger.error(`call ${this.logCallId}: conversation ${this.conversationId} begun after its 503 stays recording: ${safeLogText(String(e))}`),
            );
          },
        })
      : begin;
    const info: JournalCallInfo = {
      conversationId: this.conversationId,
      sipCallId: start.sipCallId,
      number: decision.recordedNumber.number,
      channelParties: this.channelParties,
    };
    // the conversation row and the journal are made at the same time (the call's set-up
    // waits for the longer of the two, not for both in a row); the conversation id is
    // ours, so the journal can name it before the row exists
    const created = CallJournal.create(
      deps.journalDir,
      { callId: start.sipCallId, startedAt: start.startedAt, sampleRate: rate, channels, metadata: info },
      {
        flushIntervalMs: deps.journalFlushMs ?? DEFAULT_JOURNAL_FLUSH_MS,
        maxPendingBytes: deps.journalMemoryBudgetBytes,
        syncGroup: deps.journalSyncGroup,
        // one line per 10 s for all calls (a full disk fails every call's flushes)
        onError: e => journalErrorLog(deps.logger).log(`call ${this.logCallId}: journal write failed (audio kept in memory, retried): ${safeLogText(e.message)}`),
        onRecovered: ({ failedForMs, attempts, droppedSamples }) => {
          const dropped = droppedSamples ? `; ${(droppedSamples / rate).toFixed(1)} s of audio (all channels) dropped past its memory budget` : '';
          (droppedSamples ? deps.logger.warn : deps.logger.info).call(
            deps.logger,
            `call ${this.logCallId}: journal written again after ${Math.round(failedForMs / 1000)} s (${attempts} failed attempt(s))${dropped}`,
          );
        },
        // the figures go with the audio they count (a crash recovers both from the same flush)
        beforeFlush: () => this.journalFigures(),
      },
      start.journal,
    );
    // how long each took (SiprecServer.setupLatency): settled before allSettled resolves
    const t0 = performance.now();
    const took = (w: 'row' | 'journal') => () => {
      this.setupWaits[w] = performance.now() - t0;
    };
    begun.then(took('row'), took('row'));
    created.then(took('journal'), took('journal'));
    const [row, journal] = await Promise.allSettled([begun, created]);
    if (row.status === 'rejected') {
      // no conversation: the journal goes too (it holds no audio yet)
      if (journal.status === 'fulfilled') {
        await journal.value.close({ signal: AbortSignal.abort() }).catch(() => undefined);
        await fs.rm(journal.value.path, { force: true }).catch(() => undefined);
      }
      throw row.reason;
    }
    if (journal.status === 'rejected') {
      const e = journal.reason as Error;
      this.registerFailed(new Date(this.now()), `cannot create the call journal: ${e.message}`).catch(() => undefined);
      throw e;
    }
    this.journal = journal.value;
    for (const s of start.streams) this.attach(s);
    this.ticker = setInterval(() => this.tick(), 500);
    this.ticker.unref();
  }

  private attach(s: NegotiatedStream): void {
    if (!s.accepted || !s.codec) return;
    const bound = this.start.sockets.get(s.index);
    if (!bound) return;
    const ch = this.journal.header.channels.find(c => c.index === s.index);
    if (!ch) {
      bound.release().catch(() => undefined);
      return;
    }
    const receiver = new RtpReceiver({
      channel: s.index,
      label: s.label,
      encoding: ch.encoding,
      codec: { payloadType: s.codec.payloadType, name: s.codec.name, telephoneEventPayloadType: s.telephoneEvent?.payloadType },
      bound,
      sink: this.journal,
      callStartMs: this.start.startedAt.getTime(),
      timelineRate: this.rate,
      now: this.now,
      onDtmf: ev => {
        this.journal.appendDtmf({ channel: ev.channel, offsetSamples: ev.offsetSamples, digit: ev.digit, durationSamples: ev.duration });
        this.dtmf.push({
          at: new Date(this.start.startedAt.getTime() + (ev.offsetSamples * 1000) / this.rate).toISOString(),
          digit: ev.digit,
          durationMs: ev.durationMs,
          ...(this.channelParties[ev.channel] ? { party: this.channelParties[ev.channel] } : {}),
        });
      },
      onError: e => this.deps.logger.warn(`call ${this.logCallId} stream ${s.index}: ${safeLogText(e.message)}`),
    });
    if (s.answerDirection === 'inactive') receiver.pause();
    this.receivers.set(s.index, receiver);
  }

  /** The addresses of the participants on the call now (for a new recording decision). */
  get participantAddresses(): string[] {
    return this.participantsNow.map(p => p.aor);
  }

  /** Local RTP port of a stream, when it has a receiver. */
  portOf(index: number): number | undefined {
    return this.receivers.get(index)?.port;
  }

  /** Applies a re-INVITE/UPDATE answer: hold/resume, codec changes. */
  updateStreams(streams: NegotiatedStream[]): void {
    for (const s of streams) {
      const r = this.receivers.get(s.index);
      if (!r) continue;
      if (!s.accepted || s.answerDirection === 'inactive') r.pause();
      else r.resume();
      if (s.codec) {
        r.setCodec({ payloadType: s.codec.payloadType, name: s.codec.name, telephoneEventPayloadType: s.telephoneEvent?.payloadType });
      }
    }
  }

  /**
   * New or changed metadata (re-INVITE/UPDATE): the participant set now (recorded party
   * marked), the other party, and the conversation's metadata column with its per-stream
   * data kept (a patch replaces the whole column).
   */
  async updateMetadata(metadata: RecordingMetadata, update: ParticipantUpdate, at: Date): Promise<void> {
    this.metadata = metadata;
    if (update.participants.length) this.participantsNow = update.participants;
    this.journal.appendMetadata(metadata);
    const { extensionData: _previous, ...kept } = this.conversationMetadata;
    this.conversationMetadata = {
      ...kept,
      ...(metadata.extensionData.length ? { extensionData: metadata.extensionData } : {}),
      metadataUpdatedAt: at.toISOString(),
    };
    const patch: ConversationPatch = {
      ...(update.participants.length ? { participants: update.participants, participantsChangedAt: at } : {}),
      ...(update.otherParty ? { otherParty: update.otherParty } : {}),
      siprecSessionId: metadata.sessions[0]?.id,
      metadata: this.conversationMetadata,
    };
    const write = this.deps.ctx.conversations.update(this.conversationId, patch);
    this.metadataWrite = write.then(
      () => {
        this.unsavedPatch = undefined;
      },
      e => {
        // written with the registration (the last participant set, at the time it came)
        if (isCaptureStoreError(e) && e.retryable) this.unsavedPatch = { ...this.unsavedPatch, ...patch };
      },
    );
    await write;
  }

  /**
   * RTP packets received and lost on every stream so far: the receivers' counters, read
   * when asked (metrics read it at scrape time; nothing is counted per packet for it).
   */
  packetCounts(): { received: number; lost: number } {
    let received = 0;
    let lost = 0;
    for (const r of this.receivers.values()) {
      const q = r.quality;
      received += q.packetsReceived;
      lost += q.packetsLost;
    }
    return { received, lost };
  }

  quality(): ConversationQuality {
    const channels: ChannelQuality[] = [...this.receivers.values()].map(r => ({ ...r.quality }));
    const sum = (k: keyof ChannelQuality) => channels.reduce((a, c) => a + (c[k] as number), 0);
    const undecodable = undecodablePayloads(channels);
    return {
      packetsReceived: sum('packetsReceived'),
      packetsLost: sum('packetsLost'),
      late: sum('late'),
      duplicates: sum('duplicates'),
      reordered: sum('reordered'),
      gaps: sum('gaps'),
      gapMs: sum('gapMs'),
      ssrcChanges: sum('ssrcChanges'),
      audioPackets: sum('audioPackets'),
      ...(undecodable.length ? { undecodable } : {}),
      oneSided: channels.length > 1 && channels.filter(c => c.packetsReceived > 0).length === 1,
      channels,
    };
  }

  private tick(): void {
    if (this.ending) return;
    const now = this.now();
    const timeout = this.deps.rtpTimeoutMs;
    if (!timeout) return;
    const active = [...this.receivers.values()].filter(r => !r.isPaused);
    if (active.length === 0) return; // on hold: silence is expected
    const last = Math.max(...active.map(r => r.lastActivity));
    if (now - last >= timeout) {
      const detail = `no RTP for ${Math.round((now - last) / 1000)} s`;
      this.deps.logger.warn(`call ${this.logCallId}: ${detail}; ending it`);
      this.start.onSelfEnd?.('timeout', detail);
      this.end('timeout', detail).catch(() => undefined);
    }
  }

  /**
   * The receivers' figures into the journal, for the channels whose counters moved since
   * the last time: called as each journal flush takes its records, so the figures a
   * crash leaves are those of the audio it leaves (once a second at most, not per packet).
   */
  private journalFigures(): void {
    for (const r of this.receivers.values()) {
      const q = r.quality;
      const mark = q.packetsReceived + q.rtcpPackets + q.malformed;
      if (this.figuresMark.get(q.channel) === mark) continue;
      this.figuresMark.set(q.channel, mark);
      this.journal.appendQuality({ ...q, offsetSamples: this.journal.sampleEnd });
    }
  }

  /**
   * Stops recording the call in progress because the recording policy no longer allows
   * it (RFC 7866 lets the SRS end the recording session): what came before is archived
   * and registered, ended by `policy` with the reason.
   */
  stopRecording(stop: { reason: string; message: string }): Promise<void> {
    if (!this.ending) this.recordingStopped = { at: new Date(this.now()).toISOString(), ...stop };
    return this.end('policy', stop.message);
  }

  /**
   * Ends the call (idempotent): stops the receivers, closes the journal with its
   * end record (duration = wall time), archives and registers the conversation.
   */
  end(endedBy: ConversationEndReason, reason?: string): Promise<void> {
    if (!this.ending) {
      this.endedBy = endedBy;
      this.ending = this.doEnd(endedBy, reason);
    }
    return this.ending;
  }

  private async doEnd(endedBy: ConversationEndReason, reason?: string): Promise<void> {
    const { deps } = this;
    if (this.ticker) clearInterval(this.ticker);
    const endedAt = new Date(this.now());
    await Promise.all([...this.receivers.values()].map(r => r.close().catch(() => undefined)));
    const quality = this.quality();
    const durationSamples = Math.max(
      0,
      Math.round(((endedAt.getTime() - this.start.startedAt.getTime()) * this.rate) / 1000),
    );
    try {
      // the final figures (codec, sources and all), then the end record: a crash before
      // the registration leaves both to recovery
      for (const c of quality.channels as ChannelQuality[]) {
        this.journal.appendQuality({ ...c, offsetSamples: this.journal.sampleEnd, final: true });
      }
      // waits for the disk (a full one: until it takes the call's buffered audio, or the recorder stops)
      await this.journal.end({ endedBy, endedAt: endedAt.toISOString(), durationSamples, reason }, { signal: deps.shutdown });
    } catch (e) {
      const lost = lostAudio(this.journal.lost, this.rate);
      deps.logger.error(
        `call ${this.logCallId}: cannot close the journal ${this.journal.path}: ${safeLogText((e as Error).message)}` +
          `${lost ? `; ${lostAudioText(lost)}, registered as lost` : ''}`,
      );
      await this.journal.close().catch(() => undefined);
    }
    let input;
    try {
      const scan = await scanJournal(this.journal.path);
      input = finalizeInputFromScan(scan, scan.end ?? {
        endedBy,
        endedAt: endedAt.toISOString(),
        durationSamples,
        reason,
      });
    } catch (e) {
      deps.logger.error(`call ${this.logCallId}: journal unreadable: ${safeLogText((e as Error).message)}`);
      await this.registerFailed(endedAt, `journal unreadable: ${(e as Error).message}`, quality);
      return;
    }
    const { job, result, audioIssues, qualityCheck } = await archiveJournal(
      input,
      this.conversationId,
      // frames the journal dropped past its budget are in its Dropped records; those it never wrote only here
      { dtmf: this.dtmf, quality, lost: this.journal.lost.filter(l => l.reason === 'not-written') },
      {
        blobStore: deps.blobStore,
        format: deps.archiveFormat,
        opus: deps.opus,
        opusPool: deps.opusPool,
        compressTo: deps.compressTo,
        qualityCheck: deps.qualityCheck,
        logger: deps.logger,
      },
    );
    this.audioIssues = audioIssues;
    this.qualityVerdict = qualityCheck?.verdict;
    await this.metadataWrite;
    if (this.unsavedPatch) job.patch = { ...this.unsavedPatch, ...job.patch };
    if (this.recordingStopped) job.finish.recordingStopped = this.recordingStopped;
    const registered = await this.registrations.register(job);
    let audio = job.archive ? 'archive pending (storage unavailable)' : 'no audio';
    if (result) audio = `${result.durationMs} ms, ${result.bytes} bytes ${result.format}`;
    // a recording without usable audio is a warning (one line per call, as the info line)
    const log = audioIssues.length ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
    log(
      `call ${this.logCallId} (conversation ${this.conversationId}, ${this.recordedNumber.number}) ended by ${endedBy}: ` +
        `${audio}, ` +
        `${quality.packetsReceived} packets, ${quality.packetsLost} lost` +
        `${audioIssues.map(i => `; ${audioIssueText(i, quality)}`).join('')}` +
        // the quality check's verdict when it is not ok (its reasons are on the conversation)
        `${qualityCheck && qualityCheck.verdict !== 'ok' ? `; quality ${qualityCheck.verdict}: ${qualityCheck.reasons.map(r => r.code).join(', ')}` : ''}` +
        `${registered ? '' : ' (registration pending, journal kept)'}`,
    );
  }
}
