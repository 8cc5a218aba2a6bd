import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { toResponseError } from '../api/errors';

export function makeNumber(
  overrides: Partial<RecordedNumberWithStatus> = {},
): RecordedNumberWithStatus {
  return {
    id: 'n1',
    number: '+32470123456',
    userRef: 'user:default/bob',
    mvrActive: true,
    fmu: false,
    settings: {
      beep: true,
      smsOnStatusChange: false,
      statusMode: 'auto',
      activeStatus: 'professional',
      selfManaged: false,
      simultaneousCalls: true,
      timeZone: 'Europe/Brussels',
    },
    slots: [
      { id: 's1', weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
    ],
    status: 'outside-schedule',
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-01-01T00:00:00Z',
    ...overrides,
  };
}

/** A failed response with Backstage's error body plus optional `details`, as the backend sends it. */
export function errorResponse(
  status: number,
  name: string,
  message: string,
  details?: unknown,
): Response {
  return new Response(
    JSON.stringify({
      error: { name, message },
      request: { method: 'POST', url: '/api/voice-recording/x' },
      response: { statusCode: status },
      ...(details ? { details } : {}),
    }),
    {
      status,
      statusText: 'Bad Request',
      headers: { 'Content-Type': 'application/json' },
    },
  );
}

/** The error the client throws for such a response. */
export function responseError(
  status: number,
  name: string,
  message: string,
  details?: unknown,
) {
  return toResponseError(errorResponse(status, name, message, details));
}
