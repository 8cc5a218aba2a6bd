/*
 * Item 17 of issue 14, the recorder's side: a store error that no retry can fix is not a
 * 503; peers' bytes (Call-ID, metadata, body) do not reach the logs or the reason
 * phrases as raw control bytes; unreadable metadata is logged rate-limited. Real SIP
 * over UDP; the conversation store is a collaborator here (the real store on SQLite and
 * PostgreSQL: SiprecServer.callIds.test.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import {
  CaptureContext,
  CaptureStoreError,
  RecordRefusedInput,
} from '@mvr/plugin-voice-recording-node';
import { emptyConversations } from '../__testUtils__/emptyConversations';
import { standaloneServerConfig } from '../__testUtils__/serverConfig';
import { SrcClient } from '../testing/SrcClient';
import { buildMetadata, buildOfferSdp } from '../testing/siprecMessages';
import { SiprecServer } from './SiprecServer';

jest.setTimeout(60_000);

const RECORDED = '+32470000001';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\ufffd]/;

async function startServer(begin: () => Promise<never>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-untrusted-'));
  const refused: RecordRefusedInput[] = [];
  const ctx: CaptureContext = {
    logger: mockServices.logger.mock(),
    config: { defaultCountry: 'BE', emergencyNumbers: ['112'] },
    policy: {
      lookupAndDecide: async () =>
        ({
          recordedNumber: {
            id: 'n1',
            number: RECORDED,
            userRef: 'user:default/bob',
            mvrActive: true,
            settings: { simultaneousCalls: true },
          },
          participants: [],
          decision: {
            record: true,
            reason: 'recording',
            beep: false,
            message: '',
          },
        } as any),
    },
    conversations: emptyConversations({
      begin,
      recordRefused: async input => {
        refused.push(input);
        return {} as any;
      },
    }),
  };
  const logger = mockServices.logger.mock();
  const server = new SiprecServer({
    ctx,
    logger,
    config: standaloneServerConfig(dir, { instanceId: 'untrusted' }),
  });
  await server.start();
  const client = new SrcClient({
    host: '127.0.0.1',
    port: server.addresses.udp!,
    transport: 'udp',
  });
  await client.start();
  const lines = () =>
    (['info', 'warn', 'error'] as const).flatMap(level =>
      (logger[level] as jest.Mock).mock.calls.map(c => String(c[0])),
    );
  return {
    server,
    client,
    logger,
    refused,
    lines,
    stop: async () => {
      await client.close();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const offer = () => buildOfferSdp([{ label: '1', port: 40000 }]);
const metadata = () =>
  buildMetadata([{ aor: `sip:${RECORDED}@pbx`, sends: '1' }]);

async function waitUntil(check: () => boolean, what: string) {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 20));
  }
}

describe('SIPREC recorder and untrusted input', () => {
  it('answers 400, not 503, when the store refuses the session for good, and keeps the refused-session record', async () => {
    const s = await startServer(async () => {
      throw new CaptureStoreError(
        'invalid',
        'conversations.begin',
        'value too long for type character varying(255)',
      );
    });
    try {
      const callId = `bin\u0000ary\u001b[2J@sbc`;
      const call = await s.client.invite({
        sdp: offer(),
        metadata: metadata(),
        callId,
      });
      expect(call.response!.status).toBe(400);
      expect(call.response!.reason).toBe('Bad Request');
      expect(call.response!.headers.get('Retry-After')).toBeUndefined();
      expect(call.response!.headers.get('Warning')).toBe(
        '399 127.0.0.1 "the recording store refused this session (not retryable)"',
      );
      await waitUntil(
        () => s.refused.length === 1,
        'the refused-session record',
      );
      expect(s.refused[0]).toMatchObject({
        reason: 'error',
        responseCode: 400,
        sipCallId: callId,
      });
      // the Call-ID is in the log lines, escaped
      const mentions = s.lines().filter(l => l.includes('bin'));
      expect(mentions.length).toBeGreaterThan(0);
      for (const l of mentions) {
        expect(l).not.toMatch(CONTROL);
        expect(l).toContain('bin\\x00ary\\x1b[2J@sbc');
      }
    } finally {
      await s.stop();
    }
  });

  it('still answers 503 with Retry-After while the store is unavailable (a retry helps)', async () => {
    const s = await startServer(async () => {
      throw new CaptureStoreError(
        'unavailable',
        'conversations.begin',
        'database unavailable: connect ECONNREFUSED',
      );
    });
    try {
      const call = await s.client.invite({
        sdp: offer(),
        metadata: metadata(),
      });
      expect(call.response!.status).toBe(503);
      expect(call.response!.headers.get('Retry-After')).toBe('30');
    } finally {
      await s.stop();
    }
  });

  it('logs unreadable metadata once per window, escaped, and still decides the INVITE', async () => {
    const s = await startServer(async () => {
      throw new CaptureStoreError('invalid', 'conversations.begin', 'refused');
    });
    try {
      // NUL, ESC, CR/LF and bytes that are not UTF-8 inside a broken XML document
      const broken = Buffer.concat([
        Buffer.from(
          '<?xml version="1.0"?>\n<recording xmlns="urn:ietf:params:xml:ns:recording:1"><bad\u0000\u001b[31m',
        ),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('\r\nInjected: line</recording'),
      ]);
      const body = Buffer.concat([
        Buffer.from(
          [
            '--b2',
            'Content-Type: application/sdp',
            '',
            offer().trim(),
            '--b2',
            'Content-Type: application/rs-metadata+xml',
            'Content-Disposition: recording-session',
            '',
            '',
          ].join('\r\n'),
        ),
        broken,
        Buffer.from('\r\n--b2--\r\n'),
      ]);
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) {
        const req = s.client.buildRequest(
          'INVITE',
          {
            callId: `meta-${i}@sbc`,
            fromTag: `f${i}`,
            routeUri: `sip:srs@127.0.0.1:${s.server.addresses.udp}`,
          },
          1,
          {
            headers: { Require: 'siprec' },
            body,
            contentType: 'multipart/mixed;boundary=b2',
          },
        );
        statuses.push((await s.client.send(req)).status);
      }
      expect(statuses.every(st => st === 400)).toBe(true);
      const warned = s
        .lines()
        .filter(l => l.includes('unreadable recording metadata'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).not.toMatch(CONTROL);
      expect(warned[0]).not.toContain('\n');
    } finally {
      await s.stop();
    }
  });

  it('answers a broken body with a 400 whose reason phrase carries no control byte from the request', async () => {
    const s = await startServer(async () => {
      throw new Error('never called');
    });
    try {
      const boundary = 'b1';
      const body = [
        `--${boundary}`,
        'Content-Type: application/sdp',
        '',
        offer().trim(),
        `--${boundary}`,
        'X\u0000\u0007\u001b[31mno colon here',
        '',
        'x',
        `--${boundary}--`,
        '',
      ].join('\r\n');
      const req = s.client.buildRequest(
        'INVITE',
        {
          callId: 'ctl@sbc',
          fromTag: 'f',
          routeUri: `sip:srs@127.0.0.1:${s.server.addresses.udp}`,
        },
        1,
        {
          headers: { Require: 'siprec' },
          body,
          contentType: `multipart/mixed;boundary=${boundary}`,
        },
      );
      const r = await s.client.send(req);
      expect(r.status).toBe(400);
      expect(r.reason).toMatch(/^Bad multipart body: bad part header line/);
      expect(r.reason).not.toMatch(CONTROL);
    } finally {
      await s.stop();
    }
  });
});
