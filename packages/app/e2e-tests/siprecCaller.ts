import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
// The project's test Session Recording Client (plain node: dgram/net, SIP parser and
// RTP serializer of the recorder module); Playwright's TypeScript loader compiles it.
// Its testing/ folder is not part of the module's package API, hence the relative path.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  SrcClient,
  streamRtp,
} from '../../../plugins/voice-recording-backend-module-siprec/src/testing/SrcClient';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import {
  buildMetadata,
  buildOfferSdp,
} from '../../../plugins/voice-recording-backend-module-siprec/src/testing/siprecMessages';

/**
 * Places real SIPREC calls on the recorder of the e2e portal (app-config.e2e.yaml:
 * UDP/TCP 5070 on 127.0.0.1), as an operator's Session Recording Client would.
 */
export const RECORDER = {
  host: '127.0.0.1',
  port: Number(process.env.MVR_E2E_SIP_PORT ?? 5070),
};

const PCMA = 8;

/** Speech as 8 kHz G.711 A-law bytes (espeak-ng for the voice, sox to encode). */
export function speechPcma(
  text: string,
  voice: string,
  seconds: number,
): Buffer {
  const dir = mkdtempSync(nodePath.join(tmpdir(), 'mvr-e2e-speech-'));
  try {
    const wav = nodePath.join(dir, 'speech.wav');
    const alaw = nodePath.join(dir, 'speech.al');
    execFileSync('espeak-ng', ['-v', voice, '-s', '160', '-w', wav, text], {
      timeout: 30_000,
    });
    // Resample to 8 kHz mono A-law, at most `seconds`.
    execFileSync(
      'sox',
      [
        '-V1',
        wav,
        '-r',
        '8000',
        '-c',
        '1',
        '-e',
        'a-law',
        '-t',
        'al',
        alaw,
        'trim',
        '0',
        String(seconds),
      ],
      { timeout: 30_000 },
    );
    // Exactly `seconds` long: a shorter utterance is followed by A-law silence (0xD5).
    const out = Buffer.alloc(8000 * seconds, 0xd5);
    readFileSync(alaw).copy(out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SipAnswer {
  status: number;
  reason: string;
  warning?: string;
  callId: string;
}

export interface PlacedCall extends SipAnswer {
  /** Wall time from the 200 OK to the 200 OK of the BYE. */
  mediaMs?: number;
  rtpPackets?: number[];
}

/**
 * One SIPREC session: INVITE (multipart SDP + rs-metadata, two streams: recorded user
 * and other party), then on 200 OK: ACK, `seconds` of PCMA RTP per stream paced in real
 * time, BYE. A refused INVITE is ACKed (non-2xx ACK) and returned as is.
 */
export async function placeSiprecCall(options: {
  recorded: string;
  other: string;
  seconds?: number;
  /** What each party says (espeak-ng text). */
  recordedSpeech?: string;
  otherSpeech?: string;
}): Promise<PlacedCall> {
  const seconds = options.seconds ?? 3;
  // Synthesized before the INVITE: the call's duration is the wall time of the session.
  const left = speechPcma(
    options.recordedSpeech ??
      'Good afternoon, trading desk. I confirm the purchase of two hundred shares.',
    'en-us+m3',
    seconds,
  );
  const right = speechPcma(
    options.otherSpeech ??
      'Thank you. Please buy two hundred shares at the market price today.',
    'en+f3',
    seconds,
  );
  const client = new SrcClient({ ...RECORDER, transport: 'udp' });
  await client.start();
  try {
    const call = await client.invite({
      sdp: buildOfferSdp([
        { label: '1', port: 40000 },
        { label: '2', port: 40002 },
      ]),
      metadata: buildMetadata([
        { aor: `sip:${options.recorded}@ims.example.com`, sends: '1' },
        { aor: `sip:${options.other}@carrier.example.net`, sends: '2' },
      ]),
    });
    const response = call.response!;
    const answer: PlacedCall = {
      status: response.status,
      reason: response.reason,
      warning: response.headers.get('Warning') ?? undefined,
      callId: call.callId,
    };
    if (response.status !== 200) return answer;

    const t0 = Date.now();
    const sent = await Promise.all([
      streamRtp({ port: call.mediaPorts[0], payload: left, payloadType: PCMA }),
      streamRtp({
        port: call.mediaPorts[1],
        payload: right,
        payloadType: PCMA,
      }),
    ]);
    const bye = await client.bye(call);
    if (bye.status !== 200) {
      throw new Error(
        `BYE of ${call.callId} answered ${bye.status} ${bye.reason}`,
      );
    }
    answer.mediaMs = Date.now() - t0;
    answer.rtpPackets = sent.map(s => s.sent);
    return answer;
  } finally {
    await client.close();
  }
}
