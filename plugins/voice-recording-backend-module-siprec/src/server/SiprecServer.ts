import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import { LoggerService } from '@backstage/backend-plugin-api';
import { ConversationEndReason, QualityVerdict, RefusalReason } from '@mvr/plugin-voice-recording-common';
import {
  CaptureContext,
  CaptureRecordedNumber,
  LookupAndDecideRequest,
  LookupAndDecideResult,
  NumbersChangedEventPayload,
  OpusEncoderPool,
  StagingBlobStore,
  compressJobFor,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
import { parse as parseSdp, write as writeSdp } from 'sdp-transform';
import { CallSession } from '../call/CallSession';
import { ArchiveFormat } from '../capture/finalize';
import { DatabaseHealth, DatabaseStatus, INVITE_DATABASE_BUDGET_MS, PROBE_ID, shortStoreMessage, withDeadline } from '../call/databaseHealth';
import { RegistrationQueue, RegistrationQueueStats } from '../call/RegistrationQueue';
import { RefusalSpool } from '../call/RefusalSpool';
import { recoverCalls } from '../call/recoverCalls';
import { endedConversations } from '../call/endedConversations';
import { participantUpdate } from '../call/participantUpdate';
import { RecordingStopDecision, recheckRecording } from '../call/policyRecheck';
import { BoundRtpSocket, PortAllocator } from '../media/PortAllocator';
import {
  SipRequest,
  SipResponse,
  buildResponse,
  parseNameAddr,
  safeLogText,
  safeQuotedText,
  splitHeaderList,
} from '../sip/message';
import { ClientTransactionLayer, ServerTransaction, ServerTransactionLayer } from '../sip/transaction';
import { ParseErrorInfo, RemoteAddress, TcpTransport, TlsTransport, UdpTransport } from '../sip/transport';
import { Dialog, DialogStore, SessionTimer, buildInDialogRequest, localContact, negotiateSessionTimer } from '../sip/dialog';
import {
  NegotiatedStream,
  RecordingBody,
  RecordingBodyError,
  RecordingMetadata,
  SdpNegotiationError,
  buildSdpAnswer,
  detectSiprec,
  extractRecordingBody,
  mergeMetadata,
  parseRecordingMetadata,
  vendorHints,
} from '../siprec';
import { BlobStore, LocalFileBlobStore, StorageHealth } from '../storage/BlobStore';
import { CallJournal, JournalReservation } from '../capture/CallJournal';
import { RateLimitedLog } from './RateLimitedLog';
import { storeRefusal } from './storeRefusal';
import { JournalSpares } from '../capture/JournalSpares';
import type { JournalSyncGroup } from '../capture/JournalSyncGroup';
import { journalSyncGroupFor } from './journalSync';
import { SetupClock, SetupLatency } from './SetupLatency';
import { v8PoolAdvice } from './v8PoolAdvice';
import { RecorderHealth, recorderHealth } from './recorderHealth';
import { JournalSyncMode, RecorderConfig, TlsCredentials, loadTlsCredentials, tlsCertificateWarnings } from './config';

export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO';
const KNOWN_METHODS = new Set(['REGISTER', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH', 'PRACK']);
const SUPPORTED_OPTIONS = new Set(['siprec', 'timer']);
/** storage probes: one a second; a call waits for a probe when the last result is older than this */
const STORAGE_PROBE_INTERVAL_MS = 1000;
const STORAGE_RESULT_MAX_AGE_MS = 3000;

/** The SIP answer to a refused recording session. */
export const REFUSAL_RESPONSES: Record<RefusalReason, { status: number; phrase: string; warning: string }> = {
  'manual-private': { status: 403, phrase: 'Forbidden', warning: 'private mode' },
  'outside-schedule': { status: 403, phrase: 'Forbidden', warning: 'outside recording schedule' },
  'emergency-number': { status: 403, phrase: 'Forbidden', warning: 'emergency call not recorded' },
  'mvr-inactive': { status: 403, phrase: 'Forbidden', warning: 'recording not active for this number' },
  'unknown-number': { status: 404, phrase: 'Not Found', warning: 'no recorded number in this session' },
  'simultaneous-calls': { status: 486, phrase: 'Busy Here', warning: 'simultaneous calls not allowed' },
  'no-capacity': { status: 503, phrase: 'Service Unavailable', warning: 'no recording capacity' },
  'invalid-request': { status: 403, phrase: 'Forbidden', warning: 'not a SIPREC recording session' },
  'unsupported-media': { status: 488, phrase: 'Not Acceptable Here', warning: 'no recordable media' },
  'storage-unavailable': { status: 503, phrase: 'Service Unavailable', warning: 'recording storage unavailable' },
  error: { status: 500, phrase: 'Server Internal Error', warning: 'recorder error' },
};

interface Pending {
  cancelled: boolean;
  session?: CallSession;
}

/** A call's journal file made during its set-up: released unless a session took it. */
interface JournalHandOver {
  reservation: Promise<JournalReservation>;
  taken: boolean;
}

interface CallEntry {
  dialog: Dialog;
  session: CallSession;
  timer: SessionTimer;
  metadata?: RecordingMetadata;
  lastAnswer: string;
  sdpVersion: number;
  sdpSessionId: number;
  inviteTx: ServerTransaction;
  acked: boolean;
}

export interface SiprecServerOptions {
  ctx: CaptureContext;
  config: RecorderConfig;
  logger: LoggerService;
  blobStore?: BlobStore;
}

export interface SiprecServerStats {
  requests: number;
  /** responses matching none of the recorder's own requests: dropped */
  responsesIgnored: number;
  /** BYEs the recorder sent for calls it ended itself */
  byesSent: number;
  /** of those, BYEs that got a final response */
  byesAnswered: number;
  /** of those, BYEs that got no final response within 64*T1 or could not be sent */
  byesUnanswered: number;
  parseErrors: number;
  answered: number;
  refused: number;
  internalErrors: number;
  /** calls archived without usable audio: no RTP packet at all (`no-media`) */
  recordingsNoMedia: number;
  /** calls archived without usable audio: only codecs the recorder cannot decode (`undecodable-codec`) */
  recordingsUndecodable: number;
  /** calls archived with some received audio missing (`audio-lost`: the journal's disk was full) */
  recordingsAudioLost: number;
  /** periodic re-checks of the calls in progress that ran (config `policyRecheckSeconds`) */
  policyRechecks: number;
  /** of those, runs skipped because the database was down */
  policyRechecksSkipped: number;
  /** recording decisions taken again for calls in progress (one per recorded number and run or change) */
  policyLookups: number;
  /** calls whose recording was stopped during the call (emergency number, private mode, deactivated, deleted) */
  recordingsStopped: number;
}

/** Text for a quoted header value (Warning, Reason): no quote, backslash or control byte. */
function text(value: string): string {
  return safeQuotedText(value);
}

/** Participants and hints for the recording decision. */
export function decisionRequest(
  metadata: RecordingMetadata | undefined,
  request: SipRequest,
  at: Date,
): LookupAndDecideRequest {
  const participants: string[] = [];
  for (const p of metadata?.participants ?? []) {
    const aor = p.aor ?? p.nameIds[0]?.aor;
    if (aor) participants.push(aor);
  }
  if (!participants.length) {
    for (const h of ['From', 'To']) {
      try {
        participants.push(parseNameAddr(request.headers.get(h) ?? '').uri);
      } catch {
        // unreadable: left out
      }
    }
  }
  // vendor extension data: recorded party, direction (Metaswitch callType, ...)
  const hints = vendorHints(metadata);
  return { participants, at, ...(Object.keys(hints).length ? { hints } : {}) };
}

/**
 * The SIPREC Session Recording Server: SIP over UDP, TCP and TLS, the transaction layer,
 * dialogs, method handling, the recording decision before answering, the
 * storage/database gate (503 while the recorder cannot store), and one CallSession
 * per recorded call.
 */
/** Whether `store` (or a store it wraps) stages archives on the local disk for upload. */
function stagesUploads(store: BlobStore): boolean {
  for (let s: unknown = store, depth = 0; s && depth < 8; depth++) {
    if (s instanceof StagingBlobStore) return true;
    s = (s as { inner?: unknown }).inner;
  }
  return false;
}

export class SiprecServer {
  private udp?: UdpTransport;
  private tcp?: TcpTransport;
  private tls?: TlsTransport;
  private layer?: ServerTransactionLayer;
  /** the recorder's own requests (BYE) */
  private clients?: ClientTransactionLayer;
  private readonly dialogs = new DialogStore();
  private readonly calls = new Map<string, CallEntry>();
  private readonly pending = new Map<string, Pending>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly ports: PortAllocator;
  private readonly blobStore: BlobStore;
  /** Opus archives are encoded on these worker threads (absent: on the event loop). */
  private readonly opusPool?: OpusEncoderPool;
  /** what a call's end writes: the archive format, and the format it is compressed to later */
  private readonly archive: { format: ArchiveFormat; compressTo?: 'opus' };
  /** compress jobs enqueued for interim WAVs, and those that could not be (the plugin's scan enqueues them later) */
  readonly compressJobs = { enqueued: 0, failed: 0 };
  private readonly journalProbe: LocalFileBlobStore;
  /** journal files made ahead of the calls (a set-up does not wait for a file create) */
  readonly journalSpares: JournalSpares;
  /** the call journals' group commit (storage.journalSync filesystem); undefined: O_DSYNC per journal */
  readonly journalSyncGroup: JournalSyncGroup | undefined;

  /** how the call journals reach the disk (the configured `filesystem` needs the native addon) */
  get journalSync(): JournalSyncMode {
    return this.journalSyncGroup ? 'filesystem' : 'file';
  }
  /** the last storage probe's result, the probe running, and the timer that runs one a second */
  private storage?: { checkedAt: number; result: StorageHealth };
  private probing?: Promise<StorageHealth>;
  private storageTimer?: NodeJS.Timeout;
  private stopping = false;
  /** draining (SIGTERM): new sessions refused with 503, the calls in progress run on to their BYE */
  private draining = false;
  private unsubscribeNumbers?: () => void;
  /** the periodic re-check of the calls in progress (a safety net for number changes not announced) */
  private policyTimer?: NodeJS.Timeout;
  private policyRecheck?: Promise<void>;
  private readonly shutdown = new AbortController();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly ending = new Set<Promise<void>>();
  /** sessions whose audio issues are counted in `stats` */
  private readonly counted = new WeakSet<CallSession>();
  /** sessions whose dialog has ended, until their conversation is registered (or queued) */
  private readonly endedSessions = new Set<CallSession>();
  /** peers can cause these at any rate: one line per 10 s each, with a count of the others */
  private readonly parseErrorLog = new RateLimitedLog({ write: l => this.logger.warn(l), noun: 'malformed SIP messages' });
  private readonly spareErrors = new RateLimitedLog({ write: l => this.logger.warn(l), noun: 'spare journal file failures' });
  private readonly transportErrors = new RateLimitedLog({ write: l => this.logger.warn(l), noun: 'SIP transport errors (dropped TLS handshakes, connection resets)' });
  private readonly connectionLimits = new RateLimitedLog({ write: l => this.logger.warn(l), noun: 'connections closed by the TCP/TLS connection limits' });
  private readonly sendErrors = new RateLimitedLog({ write: l => this.logger.warn(l), noun: 'responses that could not be sent' });
  private readonly metadataErrors = new RateLimitedLog({ write: l => this.logger.warn(l), noun: 'INVITEs with unreadable recording metadata' });
  private readonly recheckErrors = new RateLimitedLog({ write: l => this.logger.warn(l), noun: 'recording decisions that could not be taken again' });
  readonly stats: SiprecServerStats = {
    requests: 0,
    responsesIgnored: 0,
    byesSent: 0,
    byesAnswered: 0,
    byesUnanswered: 0,
    parseErrors: 0,
    answered: 0,
    refused: 0,
    internalErrors: 0,
    recordingsNoMedia: 0,
    recordingsUndecodable: 0,
    recordingsAudioLost: 0,
    policyRechecks: 0,
    policyRechecksSkipped: 0,
    policyLookups: 0,
    recordingsStopped: 0,
  };
  /** set-up time of the last answered calls, phase by phase */
  readonly setupLatency = new SetupLatency();
  /** final responses to initial INVITEs since the start, by status code (0: none was sent) */
  readonly inviteOutcomes = new Map<number, number>();
  /** quality check verdicts of the calls this recorder archived since the start */
  readonly qualityVerdicts: Record<QualityVerdict, number> = { ok: 0, warning: 0, failed: 0 };
  /** RTP packets of the calls whose session has ended (those in progress are read from their receivers) */
  private readonly endedPackets = { received: 0, lost: 0 };
  private started = false;
  /** the plugin's context, every database call observed by `database` */
  private readonly ctx: CaptureContext;
  /** up/down as seen from the recorder's database calls (503 while down) */
  readonly database: DatabaseHealth;
  /** registrations and refused-session records waiting for the database */
  readonly registrations: RegistrationQueue;
  /** refused-session records waiting for the database, on disk (`<journalDir>/refused`) */
  private readonly refusalSpool: RefusalSpool;
  addresses: { udp?: number; tcp?: number; tls?: number } = {};

  constructor(private readonly options: SiprecServerOptions) {
    const { config } = options;
    this.ports = new PortAllocator({ host: config.bindAddress, range: config.rtp.portRange });
    this.blobStore = options.blobStore ?? new LocalFileBlobStore(config.storage.archiveDir, { minFreeBytes: config.storage.minFreeBytes });
    this.journalProbe = new LocalFileBlobStore(config.storage.journalDir, { minFreeBytes: config.storage.minFreeBytes });
    this.journalSyncGroup = journalSyncGroupFor(config, options.logger);
    this.journalSpares = new JournalSpares(config.storage.journalDir, {
      syncGroup: this.journalSyncGroup,
      onError: e => this.spareErrors.log(`cannot make a spare journal file (call set-ups make their own): ${e.message}`),
    });
    const background = config.archiveFormat === 'opus' && config.opus.encode === 'background';
    if (config.archiveFormat === 'opus' && config.opus.encoderThreads > 0) {
      // background: libopus only gets the CPU that SIP and RTP leave idle
      this.opusPool = new OpusEncoderPool({ threads: config.opus.encoderThreads, niceness: background ? 19 : 0 });
    }
    this.archive = background ? { format: 'wav-g711', compressTo: 'opus' } : { format: config.archiveFormat };
    this.database = new DatabaseHealth({ conversations: options.ctx.conversations, logger: options.logger });
    this.ctx = this.database.wrap(options.ctx);
    this.refusalSpool = new RefusalSpool(path.join(config.storage.journalDir, 'refused'));
    this.registrations = new RegistrationQueue({
      conversations: this.ctx.conversations,
      logger: options.logger,
      health: this.database,
      spool: this.refusalSpool,
      onRegistered: job => {
        if (job.finish.compressTo) this.enqueueCompression(job.conversationId);
      },
    });
  }

  /** The database as the recorder sees it, and what waits for it. */
  storeStatus(): {
    storage?: { ok: boolean; error?: string; checkedAt: Date };
    database: DatabaseStatus;
    registrations: RegistrationQueueStats;
    compressJobs?: { enqueued: number; failed: number };
  } {
    const s = this.storage;
    return {
      ...(s ? { storage: { ok: s.result.ok, ...(s.result.ok ? {} : { error: s.result.error.message }), checkedAt: new Date(s.checkedAt) } } : {}),
      database: this.database.status(),
      registrations: this.registrations.stats,
      ...(this.archive.compressTo ? { compressJobs: { ...this.compressJobs } } : {}),
    };
  }

  /**
   * The interim WAV of a registered call is compressed by whichever process takes its
   * `compress` job (docs/recorder.md, "Compression"): enqueued here when the archive is
   * in the shared store; a staged archive (object storage) is enqueued by its upload. A
   * failed enqueue is logged: the plugin's recovery scan enqueues it later.
   */
  private enqueueCompression(conversationId: string): void {
    const queue = this.ctx.archiveJobs;
    if (!queue || stagesUploads(this.blobStore)) return;
    this.track(
      queue.enqueue(compressJobFor(conversationId, this.opusSettings())).then(
        () => {
          this.compressJobs.enqueued++;
        },
        e => {
          this.compressJobs.failed++;
          this.logger.warn(
            `conversation ${conversationId}: its compress job could not be enqueued (the archive scan enqueues it later): ${(e as Error).message}`,
          );
        },
      ),
    );
  }

  private opusSettings() {
    const { opus } = this.options.config;
    return { layer: opus.layer, bitrate: opus.bitrate, complexity: opus.complexity, frameMs: opus.frameMs, skipSilence: opus.skipSilence };
  }

  private get logger() {
    return this.options.logger;
  }

  /** Calls being recorded. */
  get activeCalls(): number {
    return this.calls.size;
  }

  sessions(): CallSession[] {
    return [...this.calls.values()].map(c => c.session);
  }

  async start(): Promise<void> {
    const { config } = this.options;
    const summary = await recoverCalls({
      journalDir: config.storage.journalDir,
      conversations: this.ctx.conversations,
      registrations: this.registrations,
      blobStore: this.blobStore,
      format: this.archive.format,
      compressTo: this.archive.compressTo,
      opus: this.opusSettings(),
      opusPool: this.opusPool,
      qualityCheck: config.qualityCheck,
      instanceId: config.instanceId,
      logger: this.logger,
    });
    // refused-session records a stop or a crash left while the database was unavailable
    const spooled = await this.refusalSpool.load();
    for (const u of spooled.unreadable) {
      this.logger.error(`recovery: refused-session record ${u.file} cannot be read (${u.error}); left for an operator`);
    }
    if (spooled.records.length) {
      this.logger.info(`recovery: ${spooled.records.length} refused-session record(s) from ${this.refusalSpool.dir} to write`);
      this.registrations.resumeRefusals(spooled.records);
    }
    await this.journalSpares.start();
    // a number switched to private mode (or deactivated, deleted) stops its calls' recording
    this.unsubscribeNumbers = this.ctx.onNumbersChanged?.(change => this.track(this.onNumbersChanged(change)));
    const recheckMs = this.options.config.policyRecheckMs ?? 0;
    if (recheckMs > 0) {
      this.policyTimer = setInterval(() => this.track(this.recheckPolicy()), recheckMs);
      this.policyTimer.unref();
    }
    await this.probeStorage().catch(e => this.logger.warn(`storage probe failed: ${(e as Error).message}`));
    this.storageTimer = setInterval(() => {
      this.probeStorage().catch(e => this.logger.warn(`storage probe failed: ${(e as Error).message}`));
    }, STORAGE_PROBE_INTERVAL_MS);
    this.storageTimer.unref();
    const v8Pool = v8PoolAdvice(process.execArgv, process.env.NODE_OPTIONS);
    if (v8Pool) this.logger.info(v8Pool);
    if (summary.journals || summary.orphans || summary.unreadable) {
      this.logger.info(
        `recovery: ${summary.journals} journal(s), ${summary.registered} registered, ${summary.pending} pending, ` +
          `${summary.unreadable} unreadable, ${summary.orphans} conversation(s) without audio closed`,
      );
    }
    this.layer = new ServerTransactionLayer({
      send: (response, remote) => this.send(response, remote),
      onRequest: tx => this.track(this.onRequest(tx)),
      onAck: (ack, _remote, tx) => this.onAck(ack, tx),
      onAckTimeout: tx => this.onAckTimeout(tx),
      onUnmatchable: (request, remote, error) => {
        this.stats.parseErrors++;
        this.parseErrorLog.log(`unmatchable ${request.method} from ${remote.address}:${remote.port}: ${error.message}`);
      },
    });
    this.clients = new ClientTransactionLayer({
      send: (request, remote) => {
        const t = { udp: this.udp, tcp: this.tcp, tls: this.tls }[remote.transport];
        return t ? t.send(request, remote) : Promise.reject(new Error(`no ${remote.transport} transport`));
      },
    });
    // read before anything listens: a bad file stops the start with the config key
    let tlsCredentials: TlsCredentials | undefined;
    if (config.sip.tls) {
      tlsCredentials = loadTlsCredentials(config.sip.tls);
      for (const w of tlsCertificateWarnings(tlsCredentials.leaf, config.advertisedAddress)) this.logger.warn(`SIP over TLS: ${w}`);
    }
    const host = config.bindAddress;
    // port 0 (tests): TCP takes the number UDP got, which a TCP socket of another process
    // (an outgoing connection's ephemeral port) may hold: then both try another number
    for (let attempt = 1; ; attempt++) {
      if (config.sip.udp) {
        this.udp = new UdpTransport({ host, port: config.sip.port });
        this.wire(this.udp);
        this.addresses.udp = (await this.udp.start()).port;
      }
      if (!config.sip.tcp) break;
      // same port number as UDP (port 0: the one UDP got)
      const port = config.sip.port === 0 && this.addresses.udp ? this.addresses.udp : config.sip.port;
      this.tcp = new TcpTransport({ host, port, limits: config.sip.connections });
      this.wire(this.tcp);
      try {
        this.addresses.tcp = (await this.tcp.start()).port;
        break;
      } catch (e) {
        const taken = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (!(taken && config.sip.port === 0 && config.sip.udp && attempt < 10)) throw e;
        await Promise.allSettled([this.udp?.close(), this.tcp.close()]);
        this.udp = undefined;
        this.tcp = undefined;
        this.addresses = {};
      }
    }
    if (config.sip.tls && tlsCredentials) {
      const { port, requestClientCertificate } = config.sip.tls;
      const { cert, key, ca } = tlsCredentials;
      this.tls = new TlsTransport({ host, port, limits: config.sip.connections, cert, key, ca, requestClientCertificate });
      this.wire(this.tls);
      try {
        this.addresses.tls = (await this.tls.start()).port;
      } catch (e) {
        await Promise.allSettled([this.udp?.close(), this.tcp?.close(), this.tls.close()]);
        throw new Error(`voiceRecording.recorder.sip.tls: cannot listen on ${host}:${port}: ${(e as Error).message}`);
      }
    }
    this.logger.info(
      `SIPREC recorder listening on ${host}${this.addresses.udp ? ` udp/${this.addresses.udp}` : ''}${
        this.addresses.tcp ? ` tcp/${this.addresses.tcp}` : ''
      }${this.addresses.tls ? ` tls/${this.addresses.tls}` : ''} (advertised ${config.advertisedAddress}, RTP ${
        config.rtp.portRange ? `${config.rtp.portRange.min}-${config.rtp.portRange.max}` : 'ephemeral ports'
      }, archive ${config.archiveFormat}${
        config.archiveFormat === 'opus'
          ? ` (${config.opus.layer === 'celt' ? 'CELT' : 'SILK'} layer, ${config.opus.bitrate} bit/s, complexity ${config.opus.complexity}, ${config.opus.frameMs} ms frames, silence ${config.opus.skipSilence ? 'skipped' : 'encoded'}, ${config.opus.encoderThreads} encoder thread(s), ${
              this.archive.compressTo ? 'compressed from an interim WAV by archive jobs' : 'encoded at call end'
            })`
          : ''
      } in ${config.storage.archiveDir})`,
    );
    this.started = true;
  }

  /**
   * Whether new calls can be recorded now (the HTTP health endpoint and SIP OPTIONS):
   * started and not stopping, every configured SIP transport listening, the database up,
   * the last storage probe of the journal and archive directories fine and recent.
   */
  health(): RecorderHealth {
    const transports: Array<{ name: 'udp' | 'tcp' | 'tls'; listening: boolean }> = [];
    if (this.udp) transports.push({ name: 'udp', listening: this.udp.listening });
    if (this.tcp) transports.push({ name: 'tcp', listening: this.tcp.listening });
    if (this.tls) transports.push({ name: 'tls', listening: this.tls.listening });
    const s = this.storage;
    return recorderHealth({
      started: this.started,
      stopping: this.stopping || this.draining,
      transports,
      databaseDown: this.database.down,
      storage: s && (s.result.ok ? { ok: true, checkedAt: s.checkedAt } : { ok: false, code: s.result.error.code, checkedAt: s.checkedAt }),
      now: Date.now(),
    });
  }

  /**
   * One database read bounded by `timeoutMs`, observed like every database call of the
   * recorder (a failure marks the database down, new calls get 503 until it is back):
   * with background compression, the archives of this recorder waiting for it (at most
   * `archiveLimit`), else a read of an id no conversation has.
   */
  async probeDatabase(options: { timeoutMs: number; archiveLimit: number }): Promise<{ up: boolean; seconds: number; archiveQueue?: number }> {
    const t0 = performance.now();
    const limit = { deadline: Date.now() + options.timeoutMs, budgetMs: options.timeoutMs };
    try {
      let archiveQueue: number | undefined;
      if (this.archive.compressTo) {
        const waiting = await withDeadline(
          this.ctx.conversations.listArchivesToCompress({ instanceId: this.options.config.instanceId, limit: options.archiveLimit }),
          { ...limit, operation: 'conversations.listArchivesToCompress' },
        );
        archiveQueue = waiting.filter(w => w.compressTo).length;
      } else {
        await withDeadline(this.ctx.conversations.get(PROBE_ID), { ...limit, operation: 'conversations.get' });
      }
      return { up: true, seconds: (performance.now() - t0) / 1000, ...(archiveQueue !== undefined ? { archiveQueue } : {}) };
    } catch {
      return { up: false, seconds: (performance.now() - t0) / 1000 };
    }
  }

  /**
   * RTP packets received and lost since the start, all calls (those in progress as of
   * now): the receivers' own counters, read when asked.
   */
  packetTotals(): { received: number; lost: number } {
    let { received, lost } = this.endedPackets;
    const seen = new Set<CallSession>();
    const add = (session: CallSession) => {
      // in endedPackets already, or both in progress and ending
      if (this.counted.has(session) || seen.has(session)) return;
      seen.add(session);
      const c = session.packetCounts();
      received += c.received;
      lost += c.lost;
    };
    for (const entry of this.calls.values()) add(entry.session);
    for (const session of this.endedSessions) add(session);
    return { received, lost };
  }

  /**
   * Graceful drain (the backend was told to stop): from now on OPTIONS and the health
   * endpoint answer 503 `draining` and new INVITEs get 503 with Retry-After (a dispatcher
   * or SBC moves on to another recorder), while the calls in progress, and those being set
   * up now, run on to their BYE. Resolves when none is left, after `timeoutMs`, or when
   * `signal` aborts (a second SIGTERM); `stop()` then ends what is left (`shutdown`).
   * In-dialog requests (re-INVITE, UPDATE, BYE) and the re-checks of the recording
   * decision go on as usual while draining.
   */
  async drain(options: { timeoutMs: number; signal?: AbortSignal }): Promise<{ calls: number; left: number; ms: number }> {
    const t0 = Date.now();
    this.draining = true;
    const open = () => this.calls.size + this.pending.size;
    const calls = open();
    if (options.timeoutMs <= 0 || this.stopping) return { calls, left: calls, ms: 0 };
    if (calls > 0) {
      this.logger.info(
        `SIPREC recorder draining: ${calls} call(s) in progress may run on to their BYE for up to ${Math.round(options.timeoutMs / 1000)} s ` +
          `(voiceRecording.recorder.drain.timeoutSeconds); new calls get 503; a second SIGTERM ends them now`,
      );
    }
    let lastLog = t0;
    while (open() > 0 && !options.signal?.aborted && Date.now() - t0 < options.timeoutMs) {
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, 100);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        this.logger.info(`SIPREC recorder draining: ${open()} call(s) still in progress after ${Math.round((lastLog - t0) / 1000)} s`);
      }
    }
    const left = open();
    // the calls that ended are being finalized (archive written, registration queued):
    // done before the drain resolves, so that what comes next (the uploads) sees them
    if (left === 0 && this.ending.size) {
      const rest = Math.max(0, options.timeoutMs - (Date.now() - t0));
      await Promise.race([Promise.allSettled([...this.ending]), new Promise(r => setTimeout(r, rest).unref())]);
    }
    const ms = Date.now() - t0;
    if (calls === 0) return { calls, left, ms };
    if (left === 0) this.logger.info(`SIPREC recorder drained: ${calls} call(s) ended by their BYE in ${ms} ms`);
    else
      this.logger.warn(
        `SIPREC recorder drain ${options.signal?.aborted ? 'ended by a second signal' : `timed out after ${Math.round(ms / 1000)} s`}: ` +
          `${left} call(s) still in progress are ended now (shutdown)`,
      );
    return { calls, left, ms };
  }

  /** Refuses new sessions, ends the calls in progress (`shutdown`) and closes the sockets. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribeNumbers?.();
    if (this.policyTimer) clearInterval(this.policyTimer);
    this.policyTimer = undefined;
    if (this.storageTimer) clearInterval(this.storageTimer);
    this.storageTimer = undefined;
    await Promise.allSettled([...this.inflight]);
    const ends = [...this.calls.values()].map(c => this.endCall(c, 'shutdown', 'recorder shutting down'));
    // give the database a bounded time; journals stay for the next start otherwise
    const deadline = setTimeout(() => this.shutdown.abort(), 20_000);
    await Promise.allSettled([...ends, ...this.ending]);
    await this.clients?.settled(2_000); // the BYEs' answers, before the sockets close
    const aborted = new Promise<void>(resolve => this.shutdown.signal.addEventListener('abort', () => resolve()));
    await Promise.race([this.registrations.idle(), aborted]);
    clearTimeout(deadline);
    this.registrations.close();
    await this.registrations.whenClosed();
    await this.journalSpares.close();
    await this.journalSyncGroup?.close();
    await this.probing?.catch(() => undefined);
    await this.opusPool?.close();
    this.database.close();
    this.layer?.close();
    this.clients?.close();
    await Promise.allSettled([this.udp?.close(), this.tcp?.close(), this.tls?.close()]);
    this.logger.info('SIPREC recorder stopped');
  }

  private track<T>(p: Promise<T>): void {
    this.inflight.add(p);
    p.catch(e => {
      this.stats.internalErrors++;
      this.logger.error(`SIPREC recorder: unexpected error: ${(e as Error)?.stack ?? e}`);
    }).finally(() => this.inflight.delete(p));
  }

  private wire(t: UdpTransport | TcpTransport): void {
    t.on('message', (message, remote) => {
      try {
        if (message.kind === 'response') {
          if (!this.clients?.receive(message)) this.stats.responsesIgnored++;
          return;
        }
        this.stats.requests++;
        this.layer!.receive(message, remote);
      } catch (e) {
        this.stats.internalErrors++;
        this.logger.error(`SIPREC recorder: error handling a message from ${remote.address}: ${(e as Error)?.stack ?? e}`);
      }
    });
    t.on('parseError', (info: ParseErrorInfo, remote) => {
      this.stats.parseErrors++;
      this.parseErrorLog.log(
        `malformed SIP message from ${remote.transport}:${remote.address}:${remote.port}: ${safeLogText(info.error.message)}${
          info.response ? ` (answered ${info.response.status})` : ' (not answerable)'
        }`,
      );
    });
    t.on('transportError', e => this.transportErrors.log(`SIP transport error: ${e.message}`));
    t.on('connectionLimit', e =>
      this.connectionLimits.log(`${e.transport.toUpperCase()} connection from ${e.address}:${e.port} closed (${e.reason}): ${e.detail}`),
    );
  }

  private send(response: SipResponse, remote: RemoteAddress): void {
    const t = { udp: this.udp, tcp: this.tcp, tls: this.tls }[remote.transport];
    t?.send(response, remote).catch(e =>
      this.sendErrors.log(`cannot send ${response.status} to ${remote.transport}:${remote.address}:${remote.port}: ${(e as Error).message}`),
    );
  }

  private respond(
    tx: ServerTransaction,
    status: number,
    phrase: string,
    headers: Record<string, string | string[]> = {},
    body?: string,
    toTag?: string,
  ): boolean {
    if (tx.state !== 'trying' && tx.state !== 'proceeding') return false;
    tx.respond(buildResponse(tx.request, status, phrase, headers, body, toTag ? { toTag } : {}));
    return true;
  }

  private async onRequest(tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    let initialInvite = false;
    try {
      switch (req.method) {
        case 'INVITE':
          if (this.hasToTag(req)) await this.onInDialog(tx);
          else {
            initialInvite = true;
            await this.onInitialInvite(tx);
          }
          return;
        case 'BYE':
        case 'UPDATE':
          await this.onInDialog(tx);
          return;
        case 'INFO':
          this.respond(tx, this.dialogs.findForRequest(req) ? 200 : 481, this.dialogs.findForRequest(req) ? 'OK' : 'Call/Transaction Does Not Exist');
          return;
        case 'OPTIONS': {
          // the health endpoint's answer (503 while draining, the database down, the
          // storage full...): SBCs that ping with OPTIONS move on
          const unavailable = !this.health().ok;
          this.respond(tx, unavailable ? 503 : 200, unavailable ? 'Service Unavailable' : 'OK', {
            Allow: ALLOW,
            Accept: 'application/sdp, multipart/mixed, application/rs-metadata+xml',
            Supported: 'siprec, timer',
            ...(unavailable ? { 'Retry-After': '30' } : {}),
          });
          return;
        }
        case 'CANCEL':
          this.onCancel(tx);
          return;
        default:
          if (KNOWN_METHODS.has(req.method)) this.respond(tx, 405, 'Method Not Allowed', { Allow: ALLOW });
          else this.respond(tx, 501, 'Not Implemented', { Allow: ALLOW });
      }
    } catch (e) {
      this.stats.internalErrors++;
      this.logger.error(`error handling ${req.method} ${safeLogText(req.headers.get('Call-ID') ?? '')}: ${(e as Error)?.stack ?? e}`);
      try {
        this.respond(tx, 500, 'Server Internal Error', { 'Retry-After': '5' });
      } catch {
        // transaction already answered
      }
    } finally {
      if (initialInvite) {
        const last = tx.lastResponse?.status ?? 0;
        const status = last >= 200 ? last : 0;
        this.inviteOutcomes.set(status, (this.inviteOutcomes.get(status) ?? 0) + 1);
      }
    }
  }

  private hasToTag(req: SipRequest): boolean {
    try {
      return parseNameAddr(req.headers.get('To') ?? '').params.has('tag');
    } catch {
      return false;
    }
  }

  private async refuse(
    tx: ServerTransaction,
    reason: RefusalReason,
    detail: string,
    what: {
      participants: string[];
      recordedNumber?: Pick<CaptureRecordedNumber, 'id' | 'number' | 'userRef'>;
      siprecSessionId?: string;
      /** the refused session's id (given when a late conversation may be withdrawn into it) */
      refusalId?: string;
      record?: boolean;
      status?: number;
      phrase?: string;
      warning?: string;
    },
  ): Promise<void> {
    const r = REFUSAL_RESPONSES[reason];
    const status = what.status ?? r.status;
    const warning = text(what.warning ?? r.warning);
    const headers: Record<string, string> = {
      Warning: `399 ${this.options.config.advertisedAddress} "${warning}"`,
      Reason: `SIP;cause=${status};text="${warning}"`,
    };
    if (status === 503) headers['Retry-After'] = '30';
    this.respond(tx, status, what.phrase ?? r.phrase, headers);
    this.stats.refused++;
    const callId = tx.request.headers.get('Call-ID') ?? '';
    this.logger.info(`refused call ${safeLogText(callId)} with ${status}: ${reason} (${safeLogText(detail)})`);
    if (what.record === false) return;
    // written now, or kept until the database is back
    this.registrations.recordRefused({
      ...(what.refusalId ? { id: what.refusalId } : {}),
      at: new Date(),
      participants: what.participants,
      recordedNumber: what.recordedNumber,
      reason,
      message: detail,
      sipCallId: callId,
      siprecSessionId: what.siprecSessionId,
      responseCode: status,
      instanceId: this.options.config.instanceId,
    });
  }

  /** Probes the archive store, then the journal directory (one probe at a time). */
  private probeStorage(): Promise<StorageHealth> {
    if (this.probing) return this.probing;
    const run = (async (): Promise<StorageHealth> => {
      const archive = await this.blobStore.checkWritable();
      return archive.ok ? this.journalProbe.checkWritable() : archive;
    })()
      .then(result => {
        this.storage = { checkedAt: Date.now(), result };
        return result;
      })
      .finally(() => {
        this.probing = undefined;
      });
    this.probing = run;
    return run;
  }

  /**
   * Whether new calls can be stored. A probe (a write and two fsyncs) runs every second in
   * the background, so a call uses its last result without waiting for the disk; it waits
   * for a probe only when there is no recent result (at start, after a storage error, or
   * when the probes have stalled).
   */
  private storageHealth(): Promise<StorageHealth> {
    const s = this.storage;
    if (s && Date.now() - s.checkedAt < STORAGE_RESULT_MAX_AGE_MS) return Promise.resolve(s.result);
    return this.probeStorage();
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }

  private async onInitialInvite(tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    const callId = req.headers.get('Call-ID') ?? '';
    const pending: Pending = { cancelled: false };
    const clock = new SetupClock();
    this.pending.set(tx.key, pending);
    try {
      await this.setupCall(tx, pending, clock);
    } finally {
      this.pending.delete(tx.key);
    }
    if (pending.cancelled && pending.session && !pending.session.isEnding) {
      this.logger.info(`call ${safeLogText(callId)} cancelled while being set up`);
      this.endSession(pending.session, 'cancel');
    }
  }

  private async setupCall(tx: ServerTransaction, pending: Pending, clock: SetupClock): Promise<void> {
    const { config } = this.options;
    const ctx = this.ctx;
    const req = tx.request;
    const callId = req.headers.get('Call-ID') ?? '';
    const at = new Date();
    const fallbackParticipants = decisionRequest(undefined, req, at).participants;
    if (this.stopping || this.draining) {
      // not a refused recording: the SRC (or the dispatcher in front) sends it to another recorder
      await this.refuse(tx, 'no-capacity', this.stopping ? 'the recorder is shutting down' : 'the recorder is draining', {
        participants: fallbackParticipants,
        record: false,
        warning: 'recorder draining',
      });
      return;
    }
    const detection = detectSiprec(req);
    if (!detection.siprec) {
      await this.refuse(tx, 'invalid-request', 'INVITE without Require: siprec or a +sip.src Contact', { participants: fallbackParticipants });
      return;
    }
    const unsupported = req.headers
      .getLines('Require')
      .flatMap(l => splitHeaderList(l))
      .map(t => t.trim().toLowerCase())
      .filter(t => t && !SUPPORTED_OPTIONS.has(t));
    if (unsupported.length) {
      this.respond(tx, 420, 'Bad Extension', { Unsupported: unsupported.join(', ') });
      return;
    }
    let body;
    try {
      body = extractRecordingBody(req);
    } catch (e) {
      if (!(e instanceof RecordingBodyError)) throw e;
      this.respond(tx, 400, text(e.reason));
      return;
    }
    if (!body.sdp) {
      await this.refuse(tx, 'unsupported-media', 'INVITE without an SDP offer', { participants: fallbackParticipants });
      return;
    }
    let metadata: RecordingMetadata | undefined;
    if (body.metadata) {
      try {
        metadata = parseRecordingMetadata(body.metadata, { defaultCountry: ctx.config.defaultCountry });
      } catch (e) {
        this.metadataErrors.log(
          `call ${safeLogText(callId)}: unreadable recording metadata, deciding on From/To: ${safeLogText((e as Error).message)}`,
        );
      }
    }
    const timerDecision = negotiateSessionTimer(req, {
      minSE: config.sessionTimer.minSE,
      maxInterval: config.sessionTimer.maxInterval,
      preferredRefresher: 'uac',
    });
    if (timerDecision.kind === 'reject') {
      this.respond(tx, 422, timerDecision.reason, timerDecision.headers);
      return;
    }
    const decisionReq = decisionRequest(metadata, req, at);
    const siprecSessionId = metadata?.sessions[0]?.id;
    const health = await this.storageHealth();
    if (!health.ok) {
      this.logger.error(`refusing call ${safeLogText(callId)}: ${health.error.message}`);
      await this.refuse(tx, 'storage-unavailable', health.error.message, { participants: decisionReq.participants, siprecSessionId });
      return;
    }
    if (this.database.down) {
      // known down: answer at once (the health probe notices when it is back)
      const down = this.database.status();
      await this.refuse(tx, 'storage-unavailable', `${down.error} (database down since ${down.since?.toISOString()})`, {
        participants: decisionReq.participants,
        siprecSessionId,
      });
      return;
    }
    // every database wait of this INVITE shares one budget
    const limit = { deadline: Date.now() + INVITE_DATABASE_BUDGET_MS, budgetMs: INVITE_DATABASE_BUDGET_MS };
    clock.mark('checks');
    // the journal file (a spare made ahead, or made now while the decision is looked up);
    // given back or deleted unless the call is recorded
    const journal: JournalHandOver = {
      reservation: CallJournal.reserve(config.storage.journalDir, callId, at, this.journalSpares, this.journalSyncGroup),
      taken: false,
    };
    journal.reservation.catch(() => undefined); // a failure is CallSession.open's to report
    try {
      await this.decideAndAnswer(tx, pending, clock, { body, metadata, timerDecision, decisionReq, siprecSessionId, limit, journal });
    } finally {
      if (!journal.taken) journal.reservation.then(r => CallJournal.release(r, this.journalSpares), () => undefined);
    }
  }

  /** The recording decision, the simultaneous-calls rule, then the answer (setupCall's second half). */
  private async decideAndAnswer(
    tx: ServerTransaction,
    pending: Pending,
    clock: SetupClock,
    s: {
      body: RecordingBody;
      metadata?: RecordingMetadata;
      timerDecision: ReturnType<typeof negotiateSessionTimer>;
      decisionReq: LookupAndDecideRequest;
      siprecSessionId?: string;
      limit: { deadline: number; budgetMs: number };
      journal: JournalHandOver;
    },
  ): Promise<void> {
    const ctx = this.ctx;
    const { body, metadata, timerDecision, decisionReq, siprecSessionId, limit } = s;
    let decision: LookupAndDecideResult;
    try {
      decision = await withDeadline(ctx.policy.lookupAndDecide(decisionReq), { ...limit, operation: 'policy.lookupAndDecide' });
      clock.mark('decision');
    } catch (e) {
      const refusal = storeRefusal(e);
      if (!refusal) throw e;
      await this.refuse(tx, refusal.reason, shortStoreMessage((e as Error).message), { ...refusal, participants: decisionReq.participants, siprecSessionId });
      return;
    }
    const number = decision.recordedNumber;
    if (!number || !decision.decision.record) {
      await this.refuse(tx, decision.decision.reason as RefusalReason, decision.decision.message, {
        participants: decisionReq.participants,
        recordedNumber: number,
        siprecSessionId,
      });
      return;
    }
    const recorded = { ...decision, recordedNumber: number };
    if (pending.cancelled) return;

    await this.withLock(number.id, async () => {
      if (!number.settings.simultaneousCalls) {
        let active: number;
        try {
          // a call whose dialog has ended is not in progress, even before its archive is registered
          const excluding = endedConversations(number.id, this.endedSessions, this.registrations.pendingIds());
          active = await withDeadline(ctx.conversations.activeCount(number.id, { excluding }), {
            ...limit,
            operation: 'conversations.activeCount',
          });
        } catch (e) {
          const refusal = storeRefusal(e);
          if (!refusal) throw e;
          await this.refuse(tx, refusal.reason, shortStoreMessage((e as Error).message), {
            ...refusal,
            participants: decisionReq.participants,
            recordedNumber: number,
            siprecSessionId,
          });
          return;
        }
        if (active > 0) {
          await this.refuse(tx, 'simultaneous-calls', `${number.number} already has ${active} call(s) being recorded`, {
            participants: decisionReq.participants,
            recordedNumber: number,
            siprecSessionId,
          });
          return;
        }
      }
      if (pending.cancelled) return;
      clock.mark('concurrency');
      await this.answer(tx, pending, clock, {
        sdp: body.sdp!,
        metadata,
        decision: recorded,
        timerDecision,
        participants: decisionReq.participants,
        limit,
        journal: s.journal,
      });
    });
  }

  private async allocateFor(offerSdp: string): Promise<Map<number, BoundRtpSocket>> {
    const sockets = new Map<number, BoundRtpSocket>();
    let media: Array<{ type: string; port: number }> = [];
    try {
      media = parseSdp(offerSdp).media ?? [];
    } catch {
      media = [];
    }
    try {
      // every stream's port at once (each bind is a round trip through the event loop)
      const wanted = [...media.entries()].filter(([, m]) => m.type === 'audio' && m.port !== 0);
      const bound = await Promise.allSettled(wanted.map(() => this.ports.allocate()));
      bound.forEach((b, k) => b.status === 'fulfilled' && sockets.set(wanted[k][0], b.value));
      const failed = bound.find((b): b is PromiseRejectedResult => b.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (e) {
      await Promise.all([...sockets.values()].map(s => s.release()));
      throw e;
    }
    return sockets;
  }

  private async answer(
    tx: ServerTransaction,
    pending: Pending,
    clock: SetupClock,
    a: {
      sdp: string;
      metadata?: RecordingMetadata;
      decision: LookupAndDecideResult & { recordedNumber: CaptureRecordedNumber };
      timerDecision: ReturnType<typeof negotiateSessionTimer>;
      participants: string[];
      /** the INVITE's database budget */
      limit: { deadline: number; budgetMs: number };
      journal: JournalHandOver;
    },
  ): Promise<void> {
    const { config } = this.options;
    const ctx = this.ctx;
    const req = tx.request;
    const callId = req.headers.get('Call-ID') ?? '';
    const number = a.decision.recordedNumber;
    let sockets: Map<number, BoundRtpSocket>;
    try {
      sockets = await this.allocateFor(a.sdp);
      clock.mark('ports');
    } catch (e) {
      await this.refuse(tx, 'no-capacity', (e as Error).message, { participants: a.participants, recordedNumber: number });
      return;
    }
    const sdpSessionId = Math.floor(Date.now() / 1000);
    let answer: { sdp: string; streams: NegotiatedStream[] };
    try {
      answer = buildSdpAnswer(a.sdp, {
        allocate: s => ({ address: config.advertisedAddress, port: sockets.get(s.index)!.port }),
        origin: { sessionId: sdpSessionId, sessionVersion: 1 },
        onUndecodable: 'reject-stream',
      });
    } catch (e) {
      await Promise.all([...sockets.values()].map(s => s.release()));
      if (!(e instanceof SdpNegotiationError)) throw e;
      if (e.status === 400) {
        this.respond(tx, 400, text(e.reason));
        return;
      }
      await this.refuse(tx, 'unsupported-media', e.reason, { participants: a.participants, recordedNumber: number });
      return;
    }
    for (const [i, s] of sockets) {
      if (!answer.streams[i]?.accepted) {
        await s.release();
        sockets.delete(i);
      }
    }
    const localTag = randomBytes(6).toString('hex');
    let dialog: Dialog;
    try {
      dialog = Dialog.fromInvite(req, localTag);
    } catch (e) {
      await Promise.all([...sockets.values()].map(s => s.release()));
      this.respond(tx, 400, text((e as Error).message));
      return;
    }
    let session: CallSession;
    const ref: { entry?: CallEntry } = {};
    const selfEnd = (reason: ConversationEndReason, detail: string) => {
      if (!ref.entry) return;
      this.sendBye(ref.entry, reason === 'timeout' ? `RTP inactivity timeout (${detail})` : `recording ended: ${detail}`);
      this.forget(ref.entry);
      this.endSession(ref.entry.session, reason);
    };
    a.journal.taken = true; // the session owns the journal file from here on
    // the refused session's id if the set-up fails: a conversation begun after the 503 is withdrawn into it
    const refusalId = randomUUID();
    try {
      session = await CallSession.open(
        {
          ctx,
          blobStore: this.blobStore,
          journalDir: config.storage.journalDir,
          journalSyncGroup: this.journalSyncGroup,
          archiveFormat: this.archive.format,
          compressTo: this.archive.compressTo,
          opus: this.opusSettings(),
          opusPool: this.opusPool,
          qualityCheck: config.qualityCheck,
          instanceId: config.instanceId,
          logger: this.logger,
          rtpTimeoutMs: config.rtp.inactivityTimeoutMs,
          registrations: this.registrations,
          // a call waiting for a full journal disk stops waiting when the stop gives up
          shutdown: this.shutdown.signal,
        },
        {
          sipCallId: callId,
          decision: a.decision,
          metadata: a.metadata,
          streams: answer.streams,
          sockets,
          startedAt: new Date(),
          setupDeadline: { ...a.limit, refusal: { id: refusalId, participants: a.participants } },
          journal: a.journal.reservation,
          onSelfEnd: (reason, detail) => selfEnd(reason, detail),
        },
      );
    } catch (e) {
      await Promise.all([...sockets.values()].map(s => s.release()));
      // 503 only when a retry can succeed (outage); a value the store refuses for good is a 400
      const refusal = storeRefusal(e) ?? { reason: 'error' as const };
      this.storage = undefined; // the next call waits for a fresh probe
      this.logger.error(`call ${safeLogText(callId)}: cannot start recording: ${safeLogText((e as Error).message)}`);
      await this.refuse(tx, refusal.reason, shortStoreMessage((e as Error).message), {
        ...refusal,
        participants: a.participants,
        recordedNumber: number,
        refusalId,
      });
      return;
    }
    pending.session = session;
    clock.mark('session');
    clock.wait('row', session.setupWaits.row);
    clock.wait('journal', session.setupWaits.journal);
    const timer = new SessionTimer({
      onExpired: () => {
        this.logger.warn(`call ${safeLogText(callId)}: session timer expired (no refresh); ending it`);
        if (ref.entry) this.endCall(ref.entry, 'timeout', 'session timer expired');
      },
    });
    const entry: CallEntry = {
      dialog,
      session,
      timer,
      metadata: a.metadata,
      lastAnswer: answer.sdp,
      sdpVersion: 1,
      sdpSessionId,
      inviteTx: tx,
      acked: false,
    };
    ref.entry = entry;
    if (pending.cancelled) return; // onInitialInvite ends it
    const headers: Record<string, string> = {
      Contact: this.contact(tx),
      Allow: ALLOW,
      Supported: 'timer',
      'Content-Type': 'application/sdp',
    };
    if (a.timerDecision.kind === 'active') {
      Object.assign(headers, a.timerDecision.responseHeaders);
      if (a.timerDecision.refresher === 'uac') timer.apply(a.timerDecision);
    }
    if (!this.respond(tx, 200, 'OK', headers, answer.sdp, localTag)) {
      this.endSession(session, 'cancel');
      return;
    }
    clock.mark('answer');
    this.setupLatency.record(clock);
    this.dialogs.add(dialog);
    this.calls.set(dialog.key, entry);
    this.stats.answered++;
    this.logger.info(
      `recording call ${session.logCallId} for ${number.number} (conversation ${session.conversationId}): ` +
        `${answer.streams.filter(s => s.accepted).map(s => `${safeLogText(s.label ?? String(s.index), 64)}:${s.codec?.name}@${s.local?.port}`).join(', ')}`,
    );
  }

  private contact(tx: ServerTransaction): string {
    const { config } = this.options;
    const t = tx.remote.transport;
    const port = this.addresses[t] ?? (t === 'tls' ? config.sip.tls?.port : undefined) ?? config.sip.port;
    return localContact({ transport: t, host: config.advertisedAddress, port, request: tx.request });
  }

  private onAck(ack: SipRequest, tx?: ServerTransaction): void {
    const dialog = this.dialogs.findForRequest(ack);
    const entry = dialog ? this.calls.get(dialog.key) : undefined;
    if (!entry) return;
    entry.dialog.confirm();
    if (!tx || tx === entry.inviteTx) entry.acked = true;
  }

  private onAckTimeout(tx: ServerTransaction): void {
    for (const entry of this.calls.values()) {
      if (entry.inviteTx === tx && !entry.acked) {
        this.logger.warn(`call ${entry.session.logCallId}: no ACK for the 200 OK; ending it`);
        this.endCall(entry, 'error', 'no ACK received for the 200 OK');
      }
    }
  }

  private onCancel(tx: ServerTransaction): void {
    const invite = this.layer!.findInviteForCancel(tx.request);
    if (!invite) {
      this.respond(tx, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.respond(tx, 200, 'OK');
    const pending = this.pending.get(invite.key);
    if (invite.state === 'proceeding') {
      if (pending) pending.cancelled = true;
      this.respond(invite, 487, 'Request Terminated');
    }
  }

  private async onInDialog(tx: ServerTransaction): Promise<void> {
    const req = tx.request;
    const dialog = this.dialogs.findForRequest(req);
    const entry = dialog ? this.calls.get(dialog.key) : undefined;
    if (!dialog || !entry) {
      this.respond(tx, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const check = dialog.checkRequest(req);
    if (!check.ok) {
      this.respond(tx, check.status, check.reason);
      return;
    }
    if (req.method === 'BYE') {
      this.respond(tx, 200, 'OK');
      await this.endCall(entry, 'bye');
      return;
    }
    await this.onReoffer(tx, entry);
  }

  /** re-INVITE or UPDATE: new SDP (hold/resume, codec), new metadata, session refresh. */
  private async onReoffer(tx: ServerTransaction, entry: CallEntry): Promise<void> {
    const { config, ctx } = this.options;
    const req = tx.request;
    const callId = entry.session.logCallId;
    let body;
    try {
      body = req.body.length ? extractRecordingBody(req) : { otherParts: [] };
    } catch (e) {
      if (!(e instanceof RecordingBodyError)) throw e;
      this.respond(tx, 400, text(e.reason));
      return;
    }
    const timerDecision = negotiateSessionTimer(req, {
      minSE: config.sessionTimer.minSE,
      maxInterval: config.sessionTimer.maxInterval,
      preferredRefresher: 'uac',
    });
    if (timerDecision.kind === 'reject') {
      this.respond(tx, 422, timerDecision.reason, timerDecision.headers);
      return;
    }
    let answerSdp: string | undefined;
    let streams: NegotiatedStream[] | undefined;
    if (body.sdp) {
      // m= lines the call did not start with cannot get a channel: answer them with port 0
      let offer = body.sdp;
      try {
        const parsed = parseSdp(offer);
        let changed = false;
        parsed.media?.forEach((m, i) => {
          if (m.port !== 0 && entry.session.portOf(i) === undefined) {
            m.port = 0;
            changed = true;
          }
        });
        if (changed) offer = writeSdp(parsed);
      } catch {
        // buildSdpAnswer reports the unreadable offer
      }
      try {
        const answer = buildSdpAnswer(offer, {
          allocate: s => ({ address: config.advertisedAddress, port: entry.session.portOf(s.index)! }),
          origin: { sessionId: entry.sdpSessionId, sessionVersion: entry.sdpVersion + 1 },
          onUndecodable: 'reject-stream',
        });
        answerSdp = answer.sdp;
        streams = answer.streams;
      } catch (e) {
        if (!(e instanceof SdpNegotiationError)) throw e;
        this.respond(tx, e.status, e.status === 488 ? 'Not Acceptable Here' : text(e.reason), {
          Warning: `399 ${config.advertisedAddress} "${text(e.reason)}"`,
        });
        return;
      }
      entry.sdpVersion++;
      entry.lastAnswer = answerSdp;
    } else if (req.method === 'INVITE') {
      // offerless re-INVITE: our last SDP is the offer (same version: nothing changed)
      answerSdp = entry.lastAnswer;
    }
    let stop: RecordingStopDecision | undefined;
    if (body.metadata) {
      try {
        const update = parseRecordingMetadata(body.metadata, { defaultCountry: ctx.config.defaultCountry });
        // a complete snapshot replaces what was known, a partial one is folded in
        entry.metadata = mergeMetadata(entry.metadata, update);
        const now = participantUpdate(entry.metadata, entry.session.recordedNumber.number, ctx.config.emergencyNumbers);
        const count = now.participants.length;
        // in the journal at once; the database write does not hold the answer (it is
        // repeated at registration when the database was unavailable)
        entry.session.updateMetadata(entry.metadata, now, new Date()).then(
          () => this.logger.info(`call ${callId}: recording metadata updated (${count} participants)`),
          e => this.logger.warn(`call ${callId}: metadata update not stored yet: ${safeLogText((e as Error).message)}`),
        );
        if (now.emergency) {
          stop = { reason: 'emergency-number', message: `emergency number ${now.emergency} joined the call: calls with emergency numbers are never recorded` };
        }
      } catch (e) {
        this.logger.warn(`call ${callId}: metadata update not applied: ${safeLogText((e as Error).message)}`);
      }
    }
    if (streams) entry.session.updateStreams(streams);
    const headers: Record<string, string> = { Contact: this.contact(tx), Allow: ALLOW, Supported: 'timer' };
    if (timerDecision.kind === 'active') {
      Object.assign(headers, timerDecision.responseHeaders);
      if (timerDecision.refresher === 'uac') entry.timer.apply(timerDecision);
      else entry.timer.stop();
    } else {
      entry.timer.stop();
    }
    if (answerSdp) headers['Content-Type'] = 'application/sdp';
    this.respond(tx, 200, 'OK', headers, answerSdp, entry.dialog.localTag);
    if (req.method === 'INVITE') entry.inviteTx = tx;
    if (stop) await this.stopRecording(entry, stop);
  }

  /**
   * Stops recording a call in progress that the policy no longer allows (RFC 7866 §8:
   * the SRS ends the recording session with a BYE): the audio before the stop is
   * archived and registered, ended by `policy` with the reason (audited with the
   * conversation's finish).
   */
  private stopRecording(entry: CallEntry, stop: RecordingStopDecision): Promise<void> {
    if (this.calls.get(entry.dialog.key) !== entry) return Promise.resolve();
    this.logger.info(`call ${entry.session.logCallId}: recording stopped (${stop.reason}): ${safeLogText(stop.message)}`);
    this.stats.recordingsStopped++;
    this.sendBye(entry, `recording stopped: ${stop.reason}`);
    this.forget(entry);
    const ended = entry.session.stopRecording(stop);
    this.track(ended);
    return ended;
  }

  /** A recorded number changed (private mode, deactivated, deleted): decide again for its calls in progress. */
  private async onNumbersChanged(change: NumbersChangedEventPayload): Promise<void> {
    const all = change.action === 'bulk' || !change.numbers.length;
    const numbers = new Set(change.numbers);
    const entries = [...this.calls.values()].filter(e => all || numbers.has(e.session.recordedNumber.number));
    await this.recheckCalls(entries, 'a change of the number');
  }

  /**
   * The periodic re-check (config `policyRecheckSeconds`): decides again for the calls in
   * progress, as for a number change, so that a change nobody announced (a recorder
   * whose events bus to the portal is not configured, an event lost) stops a recording
   * within one interval. One run at a time; skipped while the database is down (the
   * recording goes on, as when a change cannot be decided). Off the RTP path: a timer,
   * one policy lookup per recorded number with calls in progress.
   */
  private async recheckPolicy(): Promise<void> {
    if (this.policyRecheck || this.stopping || !this.calls.size) return;
    if (this.database.down) {
      this.stats.policyRechecksSkipped++;
      return;
    }
    this.stats.policyRechecks++;
    this.policyRecheck = this.recheckCalls([...this.calls.values()], 'the periodic re-check').finally(() => {
      this.policyRecheck = undefined;
    });
    await this.policyRecheck;
  }

  /**
   * Decides again for these calls in progress, once per recorded number (the reasons that
   * stop a recording mid-call are the number's: private mode, deactivated, deleted; an
   * emergency number is caught when the update naming it arrives), with the participants
   * of one of its calls, and stops the calls the decision no longer allows. Numbers one
   * after the other: a run is a handful of small queries, not a burst.
   */
  private async recheckCalls(entries: CallEntry[], why: string): Promise<void> {
    const byNumber = new Map<string, CallEntry[]>();
    for (const e of entries) {
      const key = e.session.recordedNumber.id;
      const list = byNumber.get(key);
      if (list) list.push(e);
      else byNumber.set(key, [e]);
    }
    for (const group of byNumber.values()) {
      const live = group.filter(e => this.calls.get(e.dialog.key) === e);
      if (!live.length || this.stopping) continue;
      const { session } = live[0];
      let stop: RecordingStopDecision | undefined;
      this.stats.policyLookups++;
      try {
        stop = await recheckRecording(
          this.ctx.policy,
          { recordedNumber: session.recordedNumber, participants: session.participantAddresses },
          new Date(),
        );
      } catch (e) {
        this.recheckErrors.log(
          `call ${session.logCallId}: cannot decide again after ${why} of ${session.recordedNumber.number} (recording goes on): ${safeLogText((e as Error).message)}`,
        );
        if (isCaptureStoreError(e) && e.retryable) return; // the database is down: the next run tries again
        continue;
      }
      if (!stop) continue;
      // an emergency number is the participants' of that call, not the number's
      const stopped = stop.reason === 'emergency-number' ? [live[0]] : live;
      await Promise.all(stopped.map(e => this.stopRecording(e, stop!)));
    }
  }

  private forget(entry: CallEntry): void {
    entry.timer.stop();
    entry.dialog.terminate();
    this.dialogs.remove(entry.dialog);
    this.calls.delete(entry.dialog.key);
  }

  /** Ends a call; `bye`: the recorder ends it itself, the SRC gets a BYE with this reason text. */
  private endCall(entry: CallEntry, reason: ConversationEndReason, bye?: string): Promise<void> {
    if (bye) this.sendBye(entry, bye);
    this.forget(entry);
    return this.endSession(entry.session, reason);
  }

  /**
   * BYE to the SRC for a call still in progress that the recorder ends itself (RFC 3261
   * §15.1.1), with `Reason: SIP;cause=200;text="..."` (RFC 3326). Sent over the
   * transport of the call's last INVITE: UDP to its source address, TCP/TLS on its
   * connection (not sent when that connection has closed).
   */
  private sendBye(entry: CallEntry, why: string): void {
    const callId = entry.session.logCallId;
    const remote = entry.inviteTx.remote;
    const stream = remote.transport === 'udp' ? undefined : { tcp: this.tcp, tls: this.tls }[remote.transport];
    if (this.calls.get(entry.dialog.key) !== entry || !this.clients) return;
    if (stream && !stream.isOpen(remote.connectionId)) {
      this.logger.info(`call ${callId}: no BYE sent (${why}): its ${remote.transport.toUpperCase()} connection is closed`);
      return;
    }
    const port = this.addresses[remote.transport] ?? this.options.config.sip.port;
    let tx;
    try {
      const bye = buildInDialogRequest(entry.dialog, 'BYE', {
        via: { transport: remote.transport, host: this.options.config.advertisedAddress, port },
        reason: { cause: 200, text: why },
      });
      tx = this.clients.request(bye, remote);
    } catch (e) {
      this.logger.warn(`call ${callId}: cannot send a BYE (${why}): ${(e as Error).message}`);
      return;
    }
    this.stats.byesSent++;
    this.logger.info(`call ${callId}: BYE sent to ${remote.transport}:${remote.address}:${remote.port} (${why})`);
    tx.done.then(o => {
      if (o.kind === 'response') {
        this.stats.byesAnswered++;
        if (o.response.status >= 300) this.logger.info(`call ${callId}: the SRC answered our BYE with ${o.response.status} ${safeLogText(o.response.reason)}`);
      } else {
        this.stats.byesUnanswered++;
        let detail = `no final response after ${tx.transmissions} transmission(s)`;
        if (o.kind === 'closed') detail = 'the recorder stopped first';
        if (o.kind === 'transport-error') detail = o.error.message;
        this.logger.warn(`call ${callId}: BYE not answered (${detail})`);
      }
    });
  }

  /** The call's packets move to the ended calls' totals (once: `counted`). */
  private countEnded(session: CallSession): void {
    this.counted.add(session);
    const c = session.packetCounts();
    this.endedPackets.received += c.received;
    this.endedPackets.lost += c.lost;
  }

  private endSession(session: CallSession, reason: ConversationEndReason): Promise<void> {
    const p = session.end(reason).then(
      () => {
        // end() is shared by every caller: count each call once
        if (this.counted.has(session)) return;
        this.countEnded(session);
        if (session.audioIssues.includes('no-media')) this.stats.recordingsNoMedia++;
        if (session.audioIssues.includes('undecodable-codec')) this.stats.recordingsUndecodable++;
        if (session.audioIssues.includes('audio-lost')) this.stats.recordingsAudioLost++;
        if (session.qualityVerdict) this.qualityVerdicts[session.qualityVerdict]++;
      },
      e => {
        if (!this.counted.has(session)) this.countEnded(session);
        this.logger.error(`call ${session.logCallId}: ending failed: ${(e as Error)?.stack ?? e}`);
      },
    );
    this.ending.add(p);
    this.endedSessions.add(session);
    p.finally(() => {
      this.ending.delete(p);
      this.endedSessions.delete(session);
    });
    return p;
  }
}
