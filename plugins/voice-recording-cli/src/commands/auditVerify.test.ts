import { generateKeyPairSync, sign } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { AddressInfo } from 'node:net';
import { main } from '../index';
import type { CliIo } from '../io';

/** A real HTTP server on a free port answering GET /api/voice-recording/audit/verify. */
let server: Server;
let base: string;
let answer: { status: number; body: string };
let headsAnswer: { status: number; body: string } = { status: 404, body: '{}' };
const requests: IncomingMessage[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    if (
      req.url === '/api/voice-recording/audit/heads' &&
      req.method === 'GET'
    ) {
      res
        .writeHead(headsAnswer.status, { 'content-type': 'application/json' })
        .end(headsAnswer.body);
      return;
    }
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

  it('--public-key: checks every signed head here with the pinned key, and names a forged one', async () => {
    const keys = (() => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      return {
        privateKey,
        pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
    })();
    const other = generateKeyPairSync('ed25519');
    const dir = await fs.mkdtemp(nodePath.join(tmpdir(), 'mvr-audit-'));
    const pemFile = nodePath.join(dir, 'public-key.pem');
    await fs.writeFile(pemFile, keys.pem);
    const head = (day: string, seq: number, key = keys.privateKey) => {
      const payload = JSON.stringify({
        day,
        format: 'mvr-audit-head/1',
        hash: String(seq).repeat(64).slice(0, 64),
        keyId: 'k',
        seq,
        signedAt: `${day}T23:59:59.000Z`,
      });
      return {
        day,
        seq,
        hash: String(seq).repeat(64).slice(0, 64),
        keyId: 'k',
        payload,
        signature: sign(null, Buffer.from(payload), key).toString('base64'),
        signedAt: `${day}T23:59:59.000Z`,
      };
    };
    try {
      answer = {
        status: 200,
        body: JSON.stringify({
          ok: true,
          checked: 9,
          headHash: 'ff',
          signedHeads: 2,
        }),
      };
      headsAnswer = {
        status: 200,
        body: JSON.stringify({
          items: [head('2026-12-01', 4), head('2026-12-02', 8)],
        }),
      };
      const good = await run(['--url', base, '--public-key', pemFile]);
      expect(good.err).toBe('');
      expect(good.code).toBe(0);
      expect(good.out).toMatch(
        /; 2 signed heads verified here with the pinned key\n$/,
      );

      // one re-signed with another key, one whose served hash differs from the signed one
      headsAnswer = {
        status: 200,
        body: JSON.stringify({
          items: [
            head('2026-12-01', 4, other.privateKey),
            { ...head('2026-12-02', 8), hash: 'e'.repeat(64) },
          ],
        }),
      };
      const bad = await run(['--url', base, `--public-key=${pemFile}`]);
      expect(bad.code).toBe(1);
      expect(bad.out.split('\n')).toEqual([
        expect.stringMatching(
          /^FAIL head 2026-12-01: the signature does not verify with the pinned key [0-9a-f]{16} \(signed with k\)$/,
        ),
        'FAIL head 2026-12-02: the day, seq or hash served differ from what was signed (2026-12-02, entry 8)',
        'audit trail: NOT VERIFIED, 2 signed heads of 2 failed the check with the pinned key',
        '',
      ]);
      // an unreadable key file
      const missing = await run([
        '--url',
        base,
        '--public-key',
        nodePath.join(dir, 'no.pem'),
      ]);
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/cannot use the public key/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
