import { VoiceRecordingClient } from './VoiceRecordingClient';

const BASE = 'http://localhost:7007/api/voice-recording';

function setup(response: () => Response) {
  const fetch = jest.fn(async (_url: string, _init?: RequestInit) =>
    response(),
  );
  const client = new VoiceRecordingClient({
    discoveryApi: { getBaseUrl: async () => BASE },
    fetchApi: { fetch } as any,
  });
  return { client, fetch };
}

const json = (body: unknown) =>
  new Response(JSON.stringify(body), {
    headers: { 'Content-Type': 'application/json' },
  });

const params = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe('VoiceRecordingClient conversations', () => {
  it('sends every search filter, the sort and the cursor', async () => {
    const { client, fetch } = setup(() =>
      json({ items: [], total: 0, nextCursor: 'n2' }),
    );
    const answer = await client.listConversations({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-30T00:00:00.000Z',
      phone: '0471 23',
      userRef: 'user:default/bob',
      direction: 'incoming',
      minDuration: 0,
      maxDuration: 600,
      number: '+32 470 12 34 56',
      sort: 'otherParty',
      order: 'asc',
      limit: 50,
      cursor: 'opaque/+=',
    });
    expect(answer.nextCursor).toBe('n2');
    const url = fetch.mock.calls[0][0];
    expect(url.startsWith(`${BASE}/conversations?`)).toBe(true);
    expect(params(url)).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-30T00:00:00.000Z',
      phone: '0471 23',
      userRef: 'user:default/bob',
      direction: 'incoming',
      minDuration: '0',
      maxDuration: '600',
      number: '+32 470 12 34 56',
      sort: 'otherParty',
      order: 'asc',
      limit: '50',
      cursor: 'opaque/+=',
    });
  });

  it('leaves out empty filters and has no query without any', async () => {
    const { client, fetch } = setup(() => json({ items: [], total: 0 }));
    await client.listConversations({
      phone: '  ',
      userRef: '',
      cursor: undefined,
    });
    expect(fetch.mock.calls[0][0]).toBe(`${BASE}/conversations`);
    await client.listConversations({ limit: 10 });
    expect(fetch.mock.calls[1][0]).toBe(`${BASE}/conversations?limit=10`);
  });

  it('sends the label and case filters (list and export)', async () => {
    const { client, fetch } = setup(() => json({ items: [], total: 0 }));
    await client.listConversations({ label: 'l1', case: 'c1', limit: 5 });
    expect(fetch.mock.calls[0][0]).toBe(
      `${BASE}/conversations?label=l1&case=c1&limit=5`,
    );
    await client.exportConversations({ case: 'c1' }).catch(() => undefined);
    expect(JSON.parse(String(fetch.mock.calls[1][1]?.body))).toEqual({
      case: 'c1',
    });
  });

  it('builds the audio, waveform, details and history URLs with encoded ids', async () => {
    const { client, fetch } = setup(() => json({}));
    expect(await client.getAudioUrl('a/b', 'ogg')).toBe(
      `${BASE}/conversations/a%2Fb/audio?format=ogg`,
    );
    expect(await client.getAudioUrl('c1')).toBe(
      `${BASE}/conversations/c1/audio`,
    );
    await client.getWaveform('c1', 800);
    await client.getConversation('c 1');
    await client.getAccessHistory('c1');
    expect(fetch.mock.calls.map(c => c[0])).toEqual([
      `${BASE}/conversations/c1/waveform?points=800`,
      `${BASE}/conversations/c%201`,
      `${BASE}/conversations/c1/access-history`,
    ]);
  });

  it('passes the abort signal of a waveform request to fetch', async () => {
    const { client, fetch } = setup(() =>
      json({ durationMs: 1, channels: [] }),
    );
    const controller = new AbortController();
    await client.getWaveform('c1', 1000, { signal: controller.signal });
    expect(fetch.mock.calls[0][0]).toBe(
      `${BASE}/conversations/c1/waveform?points=1000`,
    );
    expect(fetch.mock.calls[0][1]?.signal).toBe(controller.signal);
  });

  it('posts a playback start with the format played', async () => {
    const { client, fetch } = setup(() => new Response(null, { status: 204 }));
    await expect(client.recordPlaybackStart('a/b', 'wav')).resolves.toBe(
      undefined,
    );
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(`${BASE}/conversations/a%2Fb/playback`);
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({ format: 'wav' });
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe(
      'application/json',
    );
  });

  it('gets the user cookie from the well-known endpoint with credentials', async () => {
    const { client, fetch } = setup(() =>
      json({ expiresAt: '2026-11-25T11:00:00.000Z' }),
    );
    expect(await client.refreshAuthCookie()).toEqual({
      expiresAt: '2026-11-25T11:00:00.000Z',
    });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(`${BASE}/.backstage/auth/v1/cookie`);
    expect(init?.credentials).toBe('include');
  });

  it('posts the search filters (without sort and cursor) to export a ZIP', async () => {
    const { client, fetch } = setup(
      () =>
        new Response('PK', {
          headers: {
            'Content-Type': 'application/zip',
            'Content-Disposition': 'attachment; filename="export-2026.zip"',
          },
        }),
    );
    const file = await client.exportConversations({
      phone: '0471',
      direction: 'outgoing',
      userRef: '',
      ...({ sort: 'number', cursor: 'x' } as object),
    });
    expect(file.fileName).toBe('export-2026.zip');
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(`${BASE}/conversations/export`);
    expect(init?.method).toBe('POST');
    expect(JSON.parse(String(init?.body))).toEqual({
      phone: '0471',
      direction: 'outgoing',
    });

    await client.exportConversations({ ids: ['c1', 'c2'] });
    expect(JSON.parse(String(fetch.mock.calls[1][1]?.body))).toEqual({
      ids: ['c1', 'c2'],
    });
  });

  it('downloads the MP3 under the name the backend gives', async () => {
    const { client, fetch } = setup(
      () =>
        new Response('ID3', {
          headers: {
            'Content-Type': 'audio/mpeg',
            'Content-Disposition':
              'attachment; filename="2026-11-25_1030_+32470123456_+32471234567.mp3"',
          },
        }),
    );
    const file = await client.downloadConversation('c1');
    expect(fetch.mock.calls[0][0]).toBe(`${BASE}/conversations/c1/download`);
    expect(file.fileName).toBe('2026-11-25_1030_+32470123456_+32471234567.mp3');
  });

  it('asks again for the MP3 of a long call while the backend answers 202 (a job builds it), waiting as told', async () => {
    const answers = [
      new Response(JSON.stringify({ status: 'preparing', retryAfterSeconds: 4 }), {
        status: 202,
        headers: { 'Content-Type': 'application/json', 'Retry-After': '4' },
      }),
      new Response(JSON.stringify({ status: 'preparing', retryAfterSeconds: 2 }), { status: 202 }),
      new Response('ID3', {
        headers: { 'Content-Type': 'audio/mpeg', 'Content-Disposition': 'attachment; filename="long.mp3"' },
      }),
    ];
    const { client, fetch } = setup(() => answers.shift()!);
    const waited: number[] = [];
    const file = await client.downloadConversation('c1', { sleep: async ms => void waited.push(ms) });
    expect(fetch).toHaveBeenCalledTimes(3);
    expect(waited).toEqual([4000, 2000]);
    expect(file.fileName).toBe('long.mp3');
    expect(await file.blob.text()).toBe('ID3');
  });

  it('gives up on an MP3 still being prepared after the longest wait, saying so', async () => {
    const { client } = setup(
      () => new Response(JSON.stringify({ status: 'preparing', retryAfterSeconds: 10 }), { status: 202 }),
    );
    const waited: number[] = [];
    const outcome = await client
      .downloadConversation('c1', { maxWaitMs: 25_000, sleep: async ms => void waited.push(ms) })
      .then(
        () => 'downloaded',
        e => (e as Error).message,
      );
    expect(outcome).toBe('The MP3 of conversation c1 is still being prepared; try again in a few minutes');
    expect(waited).toEqual([10_000, 10_000]);
  });

  it('queries the audit trail and exports it as CSV with the same filters', async () => {
    const { client, fetch } = setup(() => json({ items: [], total: 0 }));
    const query = {
      actor: 'user:default/alice',
      action: 'conversation-playback',
      target: 'c1',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      limit: 50,
      offset: 100,
    };
    await client.listAudit(query);
    expect(params(fetch.mock.calls[0][0])).toEqual({
      actor: 'user:default/alice',
      action: 'conversation-playback',
      target: 'c1',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      limit: '50',
      offset: '100',
    });
    await client.exportAuditCsv(query);
    const url = fetch.mock.calls[1][0];
    expect(new URL(url).pathname).toBe('/api/voice-recording/audit');
    expect(params(url)).toEqual({
      actor: 'user:default/alice',
      action: 'conversation-playback',
      target: 'c1',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T00:00:00.000Z',
      format: 'csv',
    });
  });
});
