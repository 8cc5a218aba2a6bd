import dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { CaptureContext } from '@mvr/plugin-voice-recording-node';
import { inviteFixtures } from '../__fixtures__/siprecInvites';
import { SrcClient } from '../testing/SrcClient';
import { SiprecServer } from './SiprecServer';
import { emptyConversations } from '../__testUtils__/emptyConversations';
import { standaloneServerConfig } from '../__testUtils__/serverConfig';

jest.setTimeout(Number(process.env.MVR_FUZZ_MESSAGES ?? 100_000) * 2 + 60_000);

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [
  '\r\n',
  ':',
  ';',
  ',',
  '"',
  '<',
  '>',
  ' ',
  '\r\n\r\n',
  'Content-Length: 99999\r\n',
  'l: 0\r\n',
  '\u0000',
  '--',
  'SIP/2.0 ',
  'To: <sip:a@b>;tag=x\r\n',
];

function mutate(src: Buffer, rnd: () => number): Buffer {
  let buf = Buffer.from(src);
  const ops = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < ops; k++) {
    const pos = Math.floor(rnd() * (buf.length + 1));
    switch (Math.floor(rnd() * 4)) {
      case 0:
        for (let i = 0; i < 4 && buf.length; i++)
          buf[Math.floor(rnd() * buf.length)] ^= 1 << Math.floor(rnd() * 8);
        break;
      case 1:
        buf = buf.subarray(0, pos);
        break;
      case 2:
        buf = Buffer.concat([
          buf.subarray(0, pos),
          Buffer.from(INTERESTING[Math.floor(rnd() * INTERESTING.length)]),
          buf.subarray(pos),
        ]);
        break;
      default: {
        const end = Math.min(buf.length, pos + Math.floor(rnd() * 40));
        buf = Buffer.concat([buf.subarray(0, pos), buf.subarray(end)]);
      }
    }
  }
  return buf;
}

describe('SIPREC server under fuzzing', () => {
  it('survives 100,000 mutated messages over UDP and still answers', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-fuzz-'));
    const refused: string[] = [];
    const ctx: CaptureContext = {
      logger: mockServices.logger.mock(),
      config: { defaultCountry: 'BE', emergencyNumbers: ['112'] },
      policy: {
        lookupAndDecide: async req => ({
          participants: req.participants.map(aor => ({ aor })),
          decision: {
            record: false,
            reason: 'unknown-number',
            beep: false,
            message: 'fuzz',
          },
        }),
      },
      conversations: emptyConversations({
        begin: async () => {
          throw new Error('never called');
        },
        finish: async () => {
          throw new Error('never called');
        },
        recordRefused: async input => {
          refused.push(input.reason);
          return {} as any;
        },
      }),
    };
    const server = new SiprecServer({
      ctx,
      logger: mockServices.logger.mock(),
      config: standaloneServerConfig(dir, {
        archiveFormat: 'opus',
        instanceId: 'fuzz',
      }),
    });
    await server.start();
    const port = server.addresses.udp!;
    const sock = dgram.createSocket('udp4');
    await new Promise<void>(r => sock.bind(0, '127.0.0.1', () => r()));
    let answers = 0;
    sock.on('message', () => answers++);
    const seeds = [
      ...inviteFixtures.map(f => f.wire),
      Buffer.from(
        'OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKo1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:srs@x>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
      ),
      Buffer.from(
        'BYE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKb1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:srs@x>;tag=2\r\nCall-ID: b1\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n',
      ),
    ];
    const processed = () =>
      server.stats.requests +
      server.stats.parseErrors +
      server.stats.responsesIgnored;
    const rnd = prng(7866);
    const start = Date.now();
    // 100,000 by default (40-70 s on 2 shared cores); MVR_FUZZ_MESSAGES=N for a shorter run
    const N = Number(process.env.MVR_FUZZ_MESSAGES ?? 100_000);
    const progress: string[] = [];
    for (let i = 0; i < N; i++) {
      const m = mutate(seeds[i % seeds.length], rnd);
      // unique branches so that mutations are new transactions, not retransmissions
      const msg = Buffer.from(
        m
          .toString('latin1')
          .replace(/branch=z9hG4bK[^;\r\n]*/i, `branch=z9hG4bKf${i}`),
        'latin1',
      );
      sock.send(msg, port, '127.0.0.1');
      if (i % 10_000 === 9_999)
        progress.push(`${i + 1}@${Date.now() - start}ms:${processed()}`);
      if (i % 50 === 49) {
        // back-pressure: let the server catch up so the kernel does not drop datagrams
        const until = Date.now() + 100;
        while (processed() < (i + 1) * 0.97 && Date.now() < until)
          await new Promise(r => setTimeout(r, 2));
      }
    }
    const sendMs = Date.now() - start;
    await new Promise(r => setTimeout(r, 1000));
    const client = new SrcClient({ host: '127.0.0.1', port, transport: 'udp' });
    await client.start();
    expect((await client.options()).status).toBe(200);
    await client.close();
    // eslint-disable-next-line no-console
    console.log(
      `fuzz: ${N} messages in ${sendMs} ms; server saw ${server.stats.requests} requests, ${server.stats.parseErrors} malformed, ${server.stats.responsesIgnored} responses, ` +
        `progress ${progress.join(
          ' ',
        )}, answered ${answers} responses, refused ${
          server.stats.refused
        }, internal errors ${server.stats.internalErrors}`,
    );
    expect(server.stats.internalErrors).toBe(0);
    expect(processed()).toBeGreaterThan(N * 0.9);
    expect(server.activeCalls).toBe(0);
    sock.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
