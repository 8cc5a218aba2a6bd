import {
  VoiceRecordingClient,
  fileNameFromDisposition,
} from './VoiceRecordingClient';
import { errorDetails, errorMessage, errorStatus } from './errors';
import { errorResponse, makeNumber } from '../testUtils/fixtures';

const BASE = 'http://localhost:7007/api/voice-recording';

function setup(response: () => Response) {
  const fetch = jest.fn(async (_url: string, _init?: RequestInit) =>
    response(),
  );
  const discoveryApi = { getBaseUrl: jest.fn(async (_id: string) => BASE) };
  const client = new VoiceRecordingClient({
    discoveryApi,
    fetchApi: { fetch } as any,
  });
  return { client, fetch, discoveryApi };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

describe('VoiceRecordingClient', () => {
  it('discovers the voice-recording backend and builds the list query', async () => {
    const { client, fetch, discoveryApi } = setup(() =>
      json({ items: [], total: 0 }),
    );
    await client.listNumbers({
      q: '+32 470',
      userRef: 'user:default/bob',
      status: 'outside-schedule',
      mvrActive: false,
      limit: 50,
      offset: 100,
    });
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('voice-recording');
    const url = new URL(fetch.mock.calls[0][0]);
    expect(url.origin + url.pathname).toBe(`${BASE}/numbers`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      q: '+32 470',
      userRef: 'user:default/bob',
      status: 'outside-schedule',
      mvrActive: 'false',
      limit: '50',
      offset: '100',
    });
  });

  it('leaves out empty query parameters', async () => {
    const { client, fetch } = setup(() => json({ items: [], total: 0 }));
    await client.listNumbers();
    expect(fetch.mock.calls[0][0]).toBe(`${BASE}/numbers`);
  });

  it('encodes path parameters and sends JSON bodies', async () => {
    const { client, fetch } = setup(() => json(makeNumber()));
    await client.getNumberByPhone('+32 470/12');
    expect(fetch.mock.calls[0][0]).toBe(
      `${BASE}/numbers/by-number/%2B32%20470%2F12`,
    );

    await client.addSlot('a/b', {
      weekdays: [1],
      start: '08:00',
      end: '09:00',
    });
    const [url, init] = fetch.mock.calls[1];
    expect(url).toBe(`${BASE}/numbers/a%2Fb/slots`);
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe(
      'application/json',
    );
    expect(JSON.parse(String(init?.body))).toEqual({
      weekdays: [1],
      start: '08:00',
      end: '09:00',
    });

    await client.applyPlanningModel('n1', 'pm1');
    expect(fetch.mock.calls[2][0]).toBe(
      `${BASE}/numbers/n1/apply-planning-model`,
    );
    expect(JSON.parse(String(fetch.mock.calls[2][1]?.body))).toEqual({
      planningModelId: 'pm1',
    });

    await client.deleteSlot('n1', 's1');
    expect(fetch.mock.calls[3][0]).toBe(`${BASE}/numbers/n1/slots/s1`);
    expect(fetch.mock.calls[3][1]?.method).toBe('DELETE');
  });

  it('posts the CSV as raw text/csv, with dryRun when asked', async () => {
    const { client, fetch } = setup(() =>
      json({ applied: 0, unchanged: 2, dryRun: true }),
    );
    const csv = 'number,planning_model\n+32470123456,Option1\n';
    const result = await client.importBulk(csv, { dryRun: true });
    expect(result).toEqual({ applied: 0, unchanged: 2, dryRun: true });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(`${BASE}/bulk/import?dryRun=true`);
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe(
      'text/csv',
    );
    expect(init?.body).toBe(csv);
  });

  it('downloads files with the name from Content-Disposition', async () => {
    const { client } = setup(
      () =>
        new Response('number,planning_model\n', {
          headers: {
            'Content-Type': 'text/csv',
            'Content-Disposition': 'attachment; filename="mvr-export.csv"',
          },
        }),
    );
    const file = await client.exportBulk();
    expect(file.fileName).toBe('mvr-export.csv');
    expect(await file.blob.text()).toBe('number,planning_model\n');
  });

  it('surfaces the backend message of a refused update', async () => {
    const { client } = setup(() =>
      errorResponse(400, 'InputError', 'MVR is not active for +32470123456'),
    );
    const error = await client
      .updateNumber('n1', { settings: { beep: false } })
      .catch(e => e);
    expect(error.name).toBe('ResponseError');
    expect(errorStatus(error)).toBe(400);
    expect(errorMessage(error)).toBe('MVR is not active for +32470123456');
  });

  it('keeps details.errors of a rejected bulk import', async () => {
    const rows = [
      {
        line: 3,
        number: '+32470000000',
        column: 'number',
        message: 'unknown number',
      },
    ];
    const { client } = setup(() =>
      errorResponse(400, 'InputError', 'the file has 1 wrong row', {
        errors: rows,
      }),
    );
    const error = await client.importBulk('x').catch(e => e);
    expect(errorMessage(error)).toBe('the file has 1 wrong row');
    expect(errorDetails(error).errors).toEqual(rows);
  });

  it('keeps details.slotErrors even when the body lacks the response part', async () => {
    const slotErrors = [{ index: 1, otherIndex: 0, message: 'slot overlaps' }];
    const { client } = setup(
      () =>
        new Response(
          JSON.stringify({
            error: { name: 'InputError', message: 'invalid slots' },
            details: { slotErrors },
          }),
          {
            status: 400,
            headers: { 'Content-Type': 'application/json; charset=utf-8' },
          },
        ),
    );
    const error = await client
      .createPlanningModel({ name: 'x', slots: [] })
      .catch(e => e);
    expect(errorMessage(error)).toBe('invalid slots');
    expect(errorDetails(error).slotErrors).toEqual(slotErrors);
  });

  it('reports a 409 conflict message on delete', async () => {
    const { client } = setup(() =>
      errorResponse(
        409,
        'ConflictError',
        'planning model Option1 is used by 3 numbers',
      ),
    );
    const error = await client.deletePlanningModel('pm1').catch(e => e);
    expect(errorStatus(error)).toBe(409);
    expect(errorMessage(error)).toBe(
      'planning model Option1 is used by 3 numbers',
    );
  });
});

describe('fileNameFromDisposition', () => {
  it('reads plain and RFC 5987 names, else falls back', () => {
    expect(fileNameFromDisposition('attachment; filename=a.csv', 'x')).toBe(
      'a.csv',
    );
    expect(
      fileNameFromDisposition("attachment; filename*=UTF-8''b%20c.csv", 'x'),
    ).toBe('b c.csv');
    expect(fileNameFromDisposition(null, 'x.csv')).toBe('x.csv');
  });
});
