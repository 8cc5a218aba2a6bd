/*
 * Demo conversations: when the demo data is loaded (voiceRecording.demoData.file) and
 * there is no conversation yet, a few short calls of bob's, carol's and erik's numbers are
 * generated with real speech (espeak-ng for the voices, sox to resample to 8 kHz),
 * encoded like the recorder does (Ogg/Opus, two mono streams) and stored in the
 * blob store with their SHA-256.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { promisify } from 'node:util';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  Conversation,
  ConversationDtmfEvent,
  RetentionPeriod,
} from '@mvr/plugin-voice-recording-common';
import { BlobStore, OggOpusWriter } from '@mvr/plugin-voice-recording-node';
import { ConversationSearchStore } from './database/ConversationSearchStore';
import { NumbersStore } from './database';
import { DEMO_FOUR_EYES_NUMBER } from './demoFourEyes';
import { DEMO_EXPIRING_CALLS, demoRetentionStart } from './demoCompliance';

const run = promisify(execFile);
const RATE = 8000;

export interface DemoCall {
  number: string;
  otherParty: string;
  direction: 'incoming' | 'outgoing';
  /** Minutes before now. */
  minutesAgo: number;
  /** Alternating lines: even = recorded user (left), odd = other party (right). */
  lines: string[];
  dtmf?: string;
  quality: Conversation['quality'];
  /**
   * An old call whose retention ends this many days from now under the regulatory
   * minimum (default P5Y): it was made that long ago (minus the days), so that
   * Compliance › Disposals shows real upcoming disposals on day one; `minutesAgo` is
   * ignored then. Computed at load, so the disposal job does not dispose of it at once.
   */
  retentionEndsInDays?: number;
}

export const DEMO_CALLS: DemoCall[] = [
  {
    number: '+32470123456',
    otherParty: '+32475111222',
    direction: 'outgoing',
    minutesAgo: 90,
    lines: [
      'Good morning, this is Bob from the trading desk.',
      'Hello Bob. I would like to buy one thousand shares of Acme at market.',
      'One thousand Acme at market, confirmed. I will send the confirmation by email.',
      'Perfect, thank you.',
    ],
    quality: { packetsReceived: 1650, packetsLost: 0, jitterMs: 8 },
  },
  {
    number: '+32470123456',
    otherParty: '+33612345678',
    direction: 'incoming',
    minutesAgo: 60 * 26,
    lines: [
      'Trading desk, Bob speaking.',
      'Hi Bob, please sell five hundred bonds, limit ninety nine point five.',
      'Selling five hundred at ninety nine point five. Please enter your client code.',
      'Done, I typed it.',
    ],
    dtmf: '4711#',
    quality: { packetsReceived: 1500, packetsLost: 45, gaps: 2, gapMs: 360, jitterMs: 22 },
  },
  {
    number: '+32471234567',
    otherParty: '+32476333444',
    direction: 'outgoing',
    minutesAgo: 45,
    lines: [
      'Hello, this is Carol from the bank.',
      'Hello Carol, what can I do for you?',
      'I am calling about your order of yesterday, it has been executed.',
      'Great news, thanks for letting me know.',
    ],
    quality: { packetsReceived: 1400, packetsLost: 2, jitterMs: 12 },
  },
  {
    number: '+32471234567',
    otherParty: '+32477555666',
    direction: 'incoming',
    minutesAgo: 60 * 50,
    lines: [
      'Carol speaking.',
      'Hi Carol, can you switch my portfolio to the defensive profile?',
      'Yes, I will prepare the documents today.',
    ],
    quality: { packetsReceived: 1200, packetsLost: 0, jitterMs: 70, oneSided: false },
  },
  // erik's (four-eyes: hidden from him until an observer confirms his session); older
  // than the three latest calls, which the demo case gathers
  {
    number: DEMO_FOUR_EYES_NUMBER,
    otherParty: '+32475111222',
    direction: 'incoming',
    minutesAgo: 60 * 30,
    lines: [
      'Erik, trading desk.',
      'Hello Erik, I would like to buy two hundred shares of Globex, limit forty two.',
      'Two hundred Globex, limit forty two, noted. I will confirm once executed.',
      'Thank you.',
    ],
    quality: { packetsReceived: 1550, packetsLost: 3, jitterMs: 10 },
  },
  {
    number: DEMO_FOUR_EYES_NUMBER,
    otherParty: '+41791234567',
    direction: 'outgoing',
    minutesAgo: 60 * 75,
    lines: [
      'Good afternoon, this is Erik from the bank.',
      'Good afternoon Erik.',
      'Your sell order for the Swiss franc bonds has been executed at par.',
      'Very good, please send me the statement.',
    ],
    quality: { packetsReceived: 1480, packetsLost: 0, jitterMs: 9 },
  },
  // old calls at the end of their retention (demoCompliance.ts): upcoming disposals;
  // the second is in the demo case, under the demo legal hold, so it is flagged held
  ...DEMO_EXPIRING_CALLS,
];

async function available(tool: string): Promise<boolean> {
  try {
    await run(tool, ['--version'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** One utterance as 8 kHz mono PCM16 (espeak-ng, then sox). */
async function speak(
  dir: string,
  text: string,
  voice: string,
  n: number,
): Promise<Int16Array> {
  const wav = nodePath.join(dir, `u${n}.wav`);
  const raw = nodePath.join(dir, `u${n}.raw`);
  await run('espeak-ng', ['-v', voice, '-s', '155', '-w', wav, text], {
    timeout: 30_000,
  });
  await run(
    'sox',
    [wav, '-r', String(RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', raw],
    { timeout: 30_000 },
  );
  const buf = await readFile(raw);
  return new Int16Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 2)).slice();
}

/** Builds one call: returns the Ogg/Opus file and its duration. */
async function synthesize(
  dir: string,
  call: DemoCall,
  index: number,
): Promise<{ ogg: Buffer; durationMs: number; dtmfOffsetsMs: number[] }> {
  const pause = Math.round(RATE * 0.4);
  const parts: { channel: 0 | 1; pcm: Int16Array }[] = [];
  for (let i = 0; i < call.lines.length; i++) {
    const voice = i % 2 === 0 ? 'en-us+m3' : 'en+f3';
    parts.push({ channel: (i % 2) as 0 | 1, pcm: await speak(dir, call.lines[i], voice, index * 100 + i) });
  }
  const total = parts.reduce((a, p) => a + p.pcm.length + pause, pause);
  const dtmfMs = (call.dtmf ?? '').length * 300;
  const samples = total + Math.round((dtmfMs * RATE) / 1000);
  const interleaved = new Int16Array(samples * 2);
  let pos = pause;
  for (const p of parts) {
    for (let i = 0; i < p.pcm.length; i++) interleaved[(pos + i) * 2 + p.channel] = p.pcm[i];
    pos += p.pcm.length + pause;
  }
  // DTMF tones from the other party after the last line
  const dtmfOffsetsMs: number[] = [];
  const freqs: Record<string, [number, number]> = {
    '1': [697, 1209], '2': [697, 1336], '3': [697, 1477], '4': [770, 1209], '5': [770, 1336],
    '6': [770, 1477], '7': [852, 1209], '8': [852, 1336], '9': [852, 1477], '0': [941, 1336],
    '*': [941, 1209], '#': [941, 1477],
  };
  for (const digit of call.dtmf ?? '') {
    const [f1, f2] = freqs[digit];
    dtmfOffsetsMs.push(Math.round((pos * 1000) / RATE));
    const len = Math.round(RATE * 0.15);
    for (let i = 0; i < len && pos + i < samples; i++) {
      const t = i / RATE;
      interleaved[(pos + i) * 2 + 1] = Math.round(6000 * (Math.sin(2 * Math.PI * f1 * t) + Math.sin(2 * Math.PI * f2 * t)));
    }
    pos += Math.round(RATE * 0.3);
  }
  const writer = new OggOpusWriter({ sampleRate: RATE, channels: 2, tags: { TITLE: `demo call ${index + 1}` } });
  const chunks = [...writer.write(interleaved), ...writer.end()];
  return { ogg: Buffer.concat(chunks), durationMs: Math.round((samples * 1000) / RATE), dtmfOffsetsMs };
}

/**
 * Generates the demo conversations when there are none. Skips (with a log line) when
 * espeak-ng or sox is missing; never fails the plugin's start.
 */
export async function loadDemoConversations(options: {
  store: ConversationSearchStore;
  numbers: Pick<NumbersStore, 'getByNumber'>;
  blobs: BlobStore;
  logger: LoggerService;
  /** The regulatory minimum retention (voiceRecording.retention.minimumPeriod), default P5Y. */
  retentionMinimum?: RetentionPeriod;
  now?: Date;
}): Promise<number> {
  const { store, numbers, blobs, logger } = options;
  const now = options.now ?? new Date();
  try {
    if ((await store.count({})) > 0) return 0;
    if (!(await available('espeak-ng')) || !(await available('sox'))) {
      logger.info('demo conversations skipped: espeak-ng and sox are needed to synthesize speech');
      return 0;
    }
    const dir = await mkdtemp(nodePath.join(tmpdir(), 'vr-demo-'));
    const rows: Conversation[] = [];
    try {
      for (const [i, call] of DEMO_CALLS.entries()) {
        const recorded = await numbers.getByNumber(call.number);
        if (!recorded) {
          logger.info(`demo conversation for ${call.number} skipped: not a recorded number`);
          continue;
        }
        const { ogg, durationMs, dtmfOffsetsMs } = await synthesize(dir, call, i);
        const id = randomUUID();
        const started =
          call.retentionEndsInDays === undefined
            ? new Date(now.getTime() - call.minutesAgo * 60_000)
            : demoRetentionStart(
                now,
                call.retentionEndsInDays,
                durationMs,
                options.retentionMinimum,
              );
        const d = started.toISOString();
        const key = `recordings/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/demo-${id}.opus`;
        const put = await blobs.put(key, ogg, { contentType: 'audio/ogg; codecs=opus' });
        const dtmf: ConversationDtmfEvent[] = [...(call.dtmf ?? '')].map((digit, k) => ({
          at: new Date(started.getTime() + dtmfOffsetsMs[k]).toISOString(),
          digit,
          durationMs: 150,
          party: call.otherParty,
        }));
        const recordedParty = { aor: `sip:${call.number}@ims.demo`, number: call.number, recorded: true };
        const other = { aor: `sip:${call.otherParty}@ims.demo`, number: call.otherParty };
        rows.push({
          id,
          recordedNumberId: recorded.id,
          number: call.number,
          userRef: recorded.userRef,
          direction: call.direction,
          otherParty: call.otherParty,
          startedAt: started.toISOString(),
          endedAt: new Date(started.getTime() + durationMs).toISOString(),
          durationMs,
          codec: 'PCMA/8000',
          sipCallId: `demo-${id}@mvr`,
          participants: call.direction === 'outgoing' ? [recordedParty, other] : [other, recordedParty],
          metadata:
            call.retentionEndsInDays === undefined
              ? { demo: true }
              : { demo: true, demoRetentionEndsInDays: call.retentionEndsInDays },
          dtmf,
          quality: call.quality,
          state: 'finished',
          endedBy: 'bye',
          storageKey: put.key,
          sha256: put.sha256,
          bytes: put.size,
          format: 'audio/ogg; codecs=opus',
          captureSource: 'demo',
          createdAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await store.insertFinished(rows);
    logger.info(`demo conversations: ${rows.length} generated`);
    return rows.length;
  } catch (e) {
    logger.warn(`demo conversations not generated: ${e}`);
    return 0;
  }
}
