import { ResponseError, isError } from '@backstage/errors';
import type {
  BulkRowError,
  SlotError,
} from '@mvr/plugin-voice-recording-common';

/** Validation details the backend adds to a 400 body (docs/api.md). */
export interface VoiceRecordingErrorDetails {
  /** Bulk import: every wrong row. */
  errors?: BulkRowError[];
  /** Planning models: slot errors by index in the submitted list. */
  slotErrors?: SlotError[];
}

/**
 * Builds a ResponseError from a failed response, keeping the whole JSON body
 * (including `details`) in `error.body`, even when the backend left out the
 * `response` part that ResponseError needs to recognise Backstage's error body.
 */
export async function toResponseError(
  response: Response,
): Promise<ResponseError> {
  const text = await response.text();
  let normalized = text;
  try {
    const body = JSON.parse(text);
    if (body && typeof body === 'object' && body.error && !body.response) {
      normalized = JSON.stringify({
        ...body,
        response: { statusCode: response.status },
      });
    }
  } catch {
    // not JSON: ResponseError keeps the text in its message
  }
  return ResponseError.fromResponse({
    ok: response.ok,
    status: response.status,
    statusText: response.statusText,
    url: response.url,
    type: response.type,
    redirected: response.redirected,
    headers: response.headers,
    text: async () => normalized,
  });
}

/** The message to show a person: the backend's own message when there is one. */
export function errorMessage(error: unknown): string {
  if (
    error instanceof ResponseError ||
    (isError(error) && error.name === 'ResponseError')
  ) {
    const re = error as ResponseError;
    const message = re.body?.error?.message ?? re.cause?.message;
    if (message) return message;
  }
  if (isError(error)) return error.message;
  return String(error);
}

/** The backend's validation details (`details.errors`, `details.slotErrors`), if any. */
export function errorDetails(error: unknown): VoiceRecordingErrorDetails {
  if (!isError(error) || error.name !== 'ResponseError') return {};
  const body = (error as unknown as ResponseError).body as unknown as {
    details?: VoiceRecordingErrorDetails;
    error?: { details?: VoiceRecordingErrorDetails };
  };
  return body?.details ?? body?.error?.details ?? {};
}

/** HTTP status of a failed request, if known. */
export function errorStatus(error: unknown): number | undefined {
  if (!isError(error) || error.name !== 'ResponseError') return undefined;
  return (error as unknown as ResponseError).statusCode;
}
