import { LoggerService } from '@backstage/backend-plugin-api';
import {
  StatusChangeNotification,
  StatusChangeNotifier,
} from '@mvr/plugin-voice-recording-node';
import { SmsHttpConfig } from '../config';

export class SmsGatewayError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'SmsGatewayError';
  }
}

/**
 * Sends status-change SMS through an HTTP gateway (`voiceRecording.sms.http`):
 * POST JSON `{ from, to, text }` with a Bearer token. Retries after 5xx answers and
 * network errors/timeouts; a 4xx answer fails at once with the gateway's message.
 */
export class HttpSmsGatewayNotifier implements StatusChangeNotifier {
  readonly id = 'sms-http';

  constructor(
    private readonly config: SmsHttpConfig,
    private readonly logger?: LoggerService,
    private readonly backoffMs: number = 200,
  ) {}

  async notify(n: StatusChangeNotification): Promise<void> {
    const body = JSON.stringify({
      from: this.config.from ?? '',
      to: n.number,
      text: n.text,
    });
    const attempts = 1 + Math.max(0, this.config.retries);
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let response: Response;
      try {
        response = await fetch(this.config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(this.config.token
              ? { authorization: `Bearer ${this.config.token}` }
              : {}),
          },
          body,
          signal: AbortSignal.timeout(this.config.timeoutMs),
        });
      } catch (e: any) {
        const reason =
          e?.name === 'TimeoutError'
            ? `timed out after ${this.config.timeoutMs} ms`
            : String(e?.cause ?? e);
        lastError = new SmsGatewayError(
          `SMS gateway ${this.config.url} unreachable (attempt ${attempt}/${attempts}): ${reason}`,
        );
        this.logger?.warn(lastError.message);
        await this.pause(attempt, attempts);
        continue;
      }
      if (response.ok) return;
      const text = (await response.text().catch(() => '')).slice(0, 500);
      if (response.status >= 400 && response.status < 500) {
        throw new SmsGatewayError(
          `SMS gateway ${this.config.url} refused the SMS to ${
            n.number
          }: HTTP ${response.status}${text ? ` ${text}` : ''}`,
          response.status,
        );
      }
      lastError = new SmsGatewayError(
        `SMS gateway ${
          this.config.url
        } failed (attempt ${attempt}/${attempts}): HTTP ${response.status}${
          text ? ` ${text}` : ''
        }`,
        response.status,
      );
      this.logger?.warn(lastError.message);
      await this.pause(attempt, attempts);
    }
    throw (
      lastError ?? new SmsGatewayError(`SMS gateway ${this.config.url} failed`)
    );
  }

  private async pause(attempt: number, attempts: number) {
    if (attempt < attempts && this.backoffMs > 0) {
      await new Promise(r => setTimeout(r, this.backoffMs * attempt));
    }
  }
}
