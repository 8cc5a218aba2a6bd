import { LoggerService } from '@backstage/backend-plugin-api';
import { BlobStore, CaptureContext, CaptureSource } from '@mvr/plugin-voice-recording-node';
import { RecorderConfig } from './config';
import { RecorderHealth } from './recorderHealth';
import type { RecorderUploads } from './RecorderUploads';
import { SiprecServer } from './SiprecServer';

/** The SIPREC recorder as a capture source of the voice-recording plugin. */
export class SiprecCaptureSource implements CaptureSource {
  readonly id = 'siprec';
  private server?: SiprecServer;
  private state: 'idle' | 'starting' | 'running' | 'failed' | 'stopped' = 'idle';

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

  /** The running recorder's health, or why no recorder runs. */
  health(): RecorderHealth {
    if (this.server) return this.server.health();
    return { ok: false, reasons: [this.state === 'failed' || this.state === 'stopped' ? 'not-running' : 'starting'] };
  }

  async start(ctx: CaptureContext): Promise<void> {
    this.state = 'starting';
    let server: SiprecServer;
    try {
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
    this.options.onStarted?.(server);
  }

  /**
   * Graceful drain before the stop (SiprecServer.drain): new calls get 503, the calls in
   * progress run on to their BYE for up to `timeoutMs`. Nothing to do when not running.
   */
  async drain(options: { timeoutMs: number; signal?: AbortSignal }): Promise<{ calls: number; left: number; ms: number } | undefined> {
    return this.server?.drain(options);
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
