import { LoggerService } from '@backstage/backend-plugin-api';
import { CaptureContext, CaptureSource } from '@mvr/plugin-voice-recording-node';
import { RecorderConfig } from './config';
import { SiprecServer } from './SiprecServer';

/** The SIPREC recorder as a capture source of the voice-recording plugin. */
export class SiprecCaptureSource implements CaptureSource {
  readonly id = 'siprec';
  private server?: SiprecServer;

  constructor(
    private readonly config: RecorderConfig,
    private readonly options: { onStarted?: (server: SiprecServer) => void; logger?: LoggerService } = {},
  ) {}

  get current(): SiprecServer | undefined {
    return this.server;
  }

  async start(ctx: CaptureContext): Promise<void> {
    const server = new SiprecServer({ ctx, config: this.config, logger: ctx.logger });
    await server.start();
    this.server = server;
    this.options.onStarted?.(server);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }
}
