import { LoggerService } from '@backstage/backend-plugin-api';
import { BlobStore, CaptureContext, CaptureSource } from '@mvr/plugin-voice-recording-node';
import { RtpImplName, rtpReceivePath } from '../media/rtpSocket';
import { JournalSyncMode, RecorderConfig } from './config';
import { RecorderHealth } from './recorderHealth';
import type { RecorderUploads } from './RecorderUploads';
import { SiprecServer } from './SiprecServer';

/** The SIPREC recorder as a capture source of the voice-recording plugin. */
export class SiprecCaptureSource implements CaptureSource {
  readonly id = 'siprec';
  private server?: SiprecServer;
  private state: 'idle' | 'starting' | 'running' | 'failed' | 'stopped' = 'idle';
  private rtpImpl?: RtpImplName;

  constructor(
    private readonly config: RecorderConfig,
    private readonly options: {
      onStarted?: (server: SiprecServer) => void;
      logger?: LoggerService;
      /**
       * Opens the archive store (e.g. encrypted at rest, docs/encryption.md) before the
       * recorder starts; a rejection (a wrong or missing key) fails the start. Default: a
       * LocalFileBlobStore on storage.archiveDir.
       */
      openArchiveStore?: () => Promise<BlobStore>;
      /**
       * With object storage (voiceRecording.storage.s3): the uploads of the staged archive
       * (RecorderUploads), started before the recorder and stopped after it; the recorder
       * gets their capture context (a conversation registers as staged).
       */
      uploads?: () => RecorderUploads | undefined;
    } = {},
  ) {}

  get current(): SiprecServer | undefined {
    return this.server;
  }

  /** How the running recorder receives RTP ('native' or 'dgram'; absent when none runs). */
  get rtpReceive(): RtpImplName | undefined {
    return this.server ? this.rtpImpl : undefined;
  }

  /**
   * How the running recorder's call journals reach the disk: 'filesystem' (one syncfs per
   * tick for all of them) or 'file' (O_DSYNC per journal); absent when none runs.
   */
  get journalSync(): JournalSyncMode | undefined {
    return this.server?.journalSync;
  }

  /** The running recorder's health, or why no recorder runs. */
  health(): RecorderHealth {
    if (this.server) return this.server.health();
    return { ok: false, reasons: [this.state === 'failed' || this.state === 'stopped' ? 'not-running' : 'starting'] };
  }

  async start(ctx: CaptureContext): Promise<void> {
    this.state = 'starting';
    let server: SiprecServer;
    try {
      // MVR_RTP_IMPL: a wrong value, or native where the addon does not load, stops the start here
      const rtp = rtpReceivePath();
      this.rtpImpl = rtp.factory.name;
      const blobStore = await this.options.openArchiveStore?.();
      const uploads = this.options.uploads?.();
      await uploads?.start(ctx);
      try {
        const recorderCtx = uploads ? uploads.wrap(ctx) : ctx;
        server = new SiprecServer({ ctx: recorderCtx, config: this.config, logger: ctx.logger, ...(blobStore ? { blobStore } : {}) });
        await server.start();
      } catch (e) {
        await uploads?.stop();
        throw e;
      }
    } catch (e) {
      this.state = 'failed';
      throw e;
    }
    this.server = server;
    this.state = 'running';
    ctx.logger.info(
      `SIPREC recorder receives RTP by ${rtpReceivePath().description}; call journals made durable ${
        server.journalSync === 'filesystem' ? 'by one syncfs per tick for all calls (storage.journalSync filesystem)' : 'by each journal (O_DSYNC)'
      }`,
    );
    this.options.onStarted?.(server);
  }

  /**
   * Graceful drain before the stop (SiprecServer.drain): new calls get 503, the calls in
   * progress run on to their BYE; with object storage, then the uploads of this recorder's
   * staged recordings (a recorder taken out of the cluster leaves nothing on its disk).
   * Both within `timeoutMs` in all; what is still staged then is uploaded at the next
   * start. Nothing to do when not running.
   */
  async drain(options: {
    timeoutMs: number;
    signal?: AbortSignal;
    logger?: LoggerService;
  }): Promise<{ calls: number; left: number; ms: number; staged?: number } | undefined> {
    const server = this.server;
    if (!server) return undefined;
    const t0 = Date.now();
    const result = await server.drain(options);
    const uploads = this.options.uploads?.();
    if (!uploads || options.timeoutMs <= 0) return result;
    const staged = () => uploads.status().staged;
    const before = staged();
    if (before > 0 && !options.signal?.aborted) {
      options.logger?.info(`SIPREC recorder draining: waiting for the upload of ${before} staged recording(s)`);
      while (staged() > 0 && !options.signal?.aborted && Date.now() - t0 < options.timeoutMs) {
        await new Promise<void>(resolve => {
          const t = setTimeout(resolve, 100);
          options.signal?.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          }, { once: true });
        });
      }
      const left = staged();
      if (left === 0) options.logger?.info(`SIPREC recorder drained: ${before} staged recording(s) uploaded`);
      else options.logger?.warn(`SIPREC recorder drain: ${left} recording(s) still staged in ${this.config.storage.archiveDir}; uploaded at the next start`);
    }
    return { ...result, ms: Date.now() - t0, staged: staged() };
  }

  /** Stops the recorder; while it drains its calls, its health says `draining`. */
  async stop(): Promise<void> {
    const server = this.server;
    try {
      await server?.stop();
    } finally {
      if (this.server === server) this.server = undefined;
      this.state = 'stopped';
      // after the recorder: its last calls' archives are staged and enqueued by then
      await this.options.uploads?.()?.stop();
    }
  }
}
