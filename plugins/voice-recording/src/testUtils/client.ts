import { VoiceRecordingClient } from '../api/VoiceRecordingClient';

/** The backend's base URL in client tests. */
export const CLIENT_BASE = 'http://localhost:7007/api/voice-recording';

/** A JSON response. */
export const jsonResponse = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

/**
 * A VoiceRecordingClient whose fetch answers every request with `response(url)`
 * (default: `{ items: [] }`); `calls()`: the requests made (URL after the base,
 * method, JSON body).
 */
export function clientWithFetch(
  response: (url: string) => Response = () => jsonResponse({ items: [] }),
) {
  const fetch = jest.fn(async (url: string, _init?: RequestInit) =>
    response(url),
  );
  const client = new VoiceRecordingClient({
    discoveryApi: { getBaseUrl: async () => CLIENT_BASE },
    fetchApi: { fetch } as any,
  });
  const calls = () =>
    fetch.mock.calls.map(([url, init]) => ({
      url: url.slice(CLIENT_BASE.length),
      method: init?.method ?? 'GET',
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    }));
  return { client, calls, fetch };
}
