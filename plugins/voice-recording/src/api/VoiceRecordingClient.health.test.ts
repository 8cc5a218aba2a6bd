import { CLIENT_BASE, clientWithFetch as setup } from '../testUtils/client';

const BASE = CLIENT_BASE;

describe('VoiceRecordingClient: recording health', () => {
  it('asks for the summary, the numbers and one number over a period (empty filters left out)', async () => {
    const { client, calls } = setup();
    await client.getHealthSummary();
    await client.getHealthSummary({ from: '2026-11-01', to: '2026-11-30' });
    await client.listNumberCoverage({
      from: '2026-11-01',
      to: '2026-11-07',
      group: 'group:default/trading',
      attention: 'failed',
      q: ' ',
      limit: 25,
      offset: 50,
    });
    await client.getNumberCoverage('n/1', { from: '2026-11-01' });
    expect(calls()).toEqual([
      { url: '/health/summary', method: 'GET', body: undefined },
      {
        url: '/health/summary?from=2026-11-01&to=2026-11-30',
        method: 'GET',
        body: undefined,
      },
      {
        url: '/health/numbers?from=2026-11-01&to=2026-11-07&group=group%3Adefault%2Ftrading&attention=failed&limit=25&offset=50',
        method: 'GET',
        body: undefined,
      },
      {
        url: '/health/numbers/n%2F1?from=2026-11-01',
        method: 'GET',
        body: undefined,
      },
    ]);
  });

  it('lists alarms and acknowledges one with its comment (trimmed)', async () => {
    const { client, calls } = setup();
    await client.listRecordingAlarms({ state: 'open', numberId: 'n1' });
    await client.listRecordingAlarms({
      state: ['open', 'acknowledged'],
      kind: 'idle-recorder',
    });
    await client.acknowledgeRecordingAlarm('a 1', '  Operator ticket 4711  ');
    expect(calls()).toEqual([
      {
        url: '/health/alarms?state=open&numberId=n1',
        method: 'GET',
        body: undefined,
      },
      {
        url: '/health/alarms?state=open%2Cacknowledged&kind=idle-recorder',
        method: 'GET',
        body: undefined,
      },
      {
        url: '/health/alarms/a%201/acknowledge',
        method: 'POST',
        body: { comment: 'Operator ticket 4711' },
      },
    ]);
  });

  it('reads the archive queue, pages its dead jobs and retries one', async () => {
    const { client, calls } = setup();
    await client.getArchiveQueueSummary();
    await client.listArchiveJobs({ state: 'dead', limit: 20 });
    await client.listArchiveJobs({
      state: 'dead',
      kind: 'upload',
      cursor: '41',
    });
    await client.retryArchiveJob('42');
    expect(calls()).toEqual([
      { url: '/archive-jobs/summary', method: 'GET', body: undefined },
      {
        url: '/archive-jobs?state=dead&limit=20',
        method: 'GET',
        body: undefined,
      },
      {
        url: '/archive-jobs?state=dead&kind=upload&cursor=41',
        method: 'GET',
        body: undefined,
      },
      { url: '/archive-jobs/42/retry', method: 'POST', body: {} },
    ]);
  });

  it('downloads the assurance report of a day as CSV or HTML, under the server’s file name', async () => {
    const { client, fetch } = setup(url =>
      url.includes('format=csv')
        ? new Response('number,expected\n', {
            status: 200,
            headers: {
              'Content-Type': 'text/csv',
              'Content-Disposition':
                'attachment; filename="assurance-2026-11-30.csv"',
            },
          })
        : new Response('<html></html>', {
            status: 200,
            headers: { 'Content-Type': 'text/html' },
          }),
    );
    const csv = await client.downloadAssuranceReport('2026-11-30', 'csv');
    expect(csv.fileName).toBe('assurance-2026-11-30.csv');
    expect(await csv.blob.text()).toBe('number,expected\n');
    const html = await client.downloadAssuranceReport('2026-11-30', 'html');
    // no Content-Disposition: the day and format name it
    expect(html.fileName).toBe('recording-assurance-2026-11-30.html');
    expect(fetch.mock.calls.map(([url, init]) => [url, init?.headers])).toEqual(
      [
        [
          `${BASE}/health/report?day=2026-11-30&format=csv`,
          { Accept: 'text/csv' },
        ],
        [
          `${BASE}/health/report?day=2026-11-30&format=html`,
          { Accept: 'text/html' },
        ],
      ],
    );
  });

  it('passes the backend’s refusal on (a standard user: 403)', async () => {
    const { client } = setup(
      () =>
        new Response(
          JSON.stringify({
            error: { name: 'NotAllowedError', message: 'Unauthorized' },
            response: { statusCode: 403 },
          }),
          { status: 403, headers: { 'Content-Type': 'application/json' } },
        ),
    );
    await expect(client.getHealthSummary()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
    });
  });
});
