import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { main } from '../index';
import type { CliIo } from '../io';

/** A real HTTP server on a free port answering GET /api/voice-recording/audit/verify. */
let server: Server;
let base: string;
let answer: { status: number; body: string };
const requests: IncomingMessage[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    if (
      req.url !== '/api/voice-recording/audit/verify' ||
      req.method !== 'GET'
    ) {
      res.writeHead(404).end('{}');
      return;
    }
    res
      .writeHead(answer.status, { 'content-type': 'application/json' })
      .end(answer.body);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise(r => server.close(r)));
beforeEach(() => {
  requests.length = 0;
  // the token comes from --token here, never from the environment
  delete process.env.MVR_TOKEN;
});

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: t => out.push(t),
    err: t => err.push(t),
    cwd: process.cwd(),
    fetch: globalThis.fetch,
  };
  return main(['audit-verify', ...args], io).then(code => ({
    code,
    out: out.join(''),
    err: err.join(''),
  }));
}

describe('mvr audit-verify', () => {
  it('reports an intact trail with its count, head hash and signed heads (exit 0)', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        ok: true,
        checked: 1234,
        headHash: 'ab'.repeat(32),
        signedHeads: 3,
        lastSignedDay: '2026-12-05',
        unsignedEntries: 7,
      }),
    };
    const r = await run(['--url', `${base}/`, '--token', 't0k']);
    expect(r).toEqual({
      code: 0,
      out: `audit trail: OK. 1234 entries verified, head hash ${'ab'.repeat(
        32,
      )}; 3 signed daily heads checked, the latest for 2026-12-05 (7 entries since, not signed yet)\n`,
      err: '',
    });
    expect(requests[0].headers.authorization).toBe('Bearer t0k');
  });

  it('names the first broken link (exit 1)', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        ok: false,
        checked: 16,
        firstBroken: {
          seq: 17,
          reason: 'deleted-before',
          message: 'entry 17 is missing (deleted) before entry 18',
        },
        signedHeads: 0,
      }),
    };
    const r = await run([`--url=${base}`]);
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      'FAIL entry 17: entries were deleted (deleted-before): entry 17 is missing (deleted) before entry 18',
      'audit trail: NOT VERIFIED, broken at entry 17; 16 entries before it verified; 0 signed daily heads checked',
      '',
    ]);
    expect(requests[0].headers.authorization).toBeUndefined();
  });

  it('usage, a refusal and an unreachable backend (exit 2)', async () => {
    expect((await run([])).err).toMatch(/--url <backend base URL> is required/);
    expect((await run(['--url'])).code).toBe(2);
    expect((await run(['--url', base, 'extra'])).err).toMatch(
      /unexpected argument extra/,
    );
    answer = { status: 403, body: '{"error":{"message":"not allowed"}}' };
    const refused = await run(['--url', base, '--token', 'x']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/answered 403: .*not allowed/);
    server.closeAllConnections();
    const closed = await run(['--url', 'http://127.0.0.1:1']);
    expect(closed.code).toBe(2);
    expect(closed.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1\/api/);
  });
});
