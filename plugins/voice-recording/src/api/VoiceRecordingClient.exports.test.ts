import { errorMessage, errorStatus } from './errors';
import {
  clientWithFetch as setup,
  jsonResponse as json,
} from '../testUtils/client';

describe('VoiceRecordingClient: regulator exports', () => {
  it('creates, lists, reads and deletes export jobs', async () => {
    const { client, calls } = setup(() => json({ id: 'e1', items: [] }));
    await client.createExport({
      scope: { kind: 'search', filters: { direction: 'incoming' } },
      includeMp3: true,
    });
    await client.listExports();
    await client.listExports({ requestedBy: 'all' });
    await client.getExport('e/1');
    expect(calls()).toEqual([
      {
        url: '/exports',
        method: 'POST',
        body: {
          scope: { kind: 'search', filters: { direction: 'incoming' } },
          includeMp3: true,
        },
      },
      { url: '/exports', method: 'GET', body: undefined },
      { url: '/exports?requestedBy=all', method: 'GET', body: undefined },
      { url: '/exports/e%2F1', method: 'GET', body: undefined },
    ]);
  });

  it('deletes a job (204) and downloads a package with the server\u2019s file name', async () => {
    const { client, calls } = setup(url =>
      url.endsWith('/download')
        ? new Response(new Blob(['PK']), {
            status: 200,
            headers: {
              'Content-Type': 'application/zip',
              'Content-Disposition':
                'attachment; filename="voice-recording-export_2026-12-06_1a2b3c4d.zip"',
            },
          })
        : new Response(null, { status: 204 }),
    );
    await expect(client.deleteExport('e1')).resolves.toBeUndefined();
    const file = await client.downloadExport('e1');
    expect(file.fileName).toBe(
      'voice-recording-export_2026-12-06_1a2b3c4d.zip',
    );
    expect(calls().map(c => [c.method, c.url])).toEqual([
      ['DELETE', '/exports/e1'],
      ['GET', '/exports/e1/download'],
    ]);
  });

  it('throws the backend\u2019s 400 naming the field', async () => {
    const { client } = setup(() =>
      json(
        {
          error: { name: 'InputError', message: 'scope.caseId: no case x' },
          request: { method: 'POST', url: '/exports' },
          response: { statusCode: 400 },
        },
        400,
      ),
    );
    const error = await client
      .createExport({ scope: { kind: 'case', caseId: 'x' } })
      .catch(e => e);
    expect(errorStatus(error)).toBe(400);
    expect(errorMessage(error)).toBe('scope.caseId: no case x');
  });
});
