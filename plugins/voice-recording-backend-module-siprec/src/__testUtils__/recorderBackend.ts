/*
 * Test helper: the real voice-recording backend plugin + the SIPREC module on a real
 * database, with recorded numbers loaded through the plugin's demo-data loader.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { LoggerService, coreServices, createServiceFactory } from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import voiceRecordingPlugin from '@mvr/plugin-voice-recording-backend';
import { Knex } from 'knex';
import { createSiprecModule } from '../module';
import { SiprecServer } from '../server/SiprecServer';
import { OfferStream, buildMetadata, buildOfferSdp } from '../testing/siprecMessages';

export const NUMBERS = {
  recorded: '+32470000001',
  private: '+32470000002',
  outside: '+32470000003',
  inactive: '+32470000004',
  single: '+32470000005',
  other: '+32499000001',
  unknown: '+32479999999',
};

/** RFC 7865 metadata of a two-party call: the recorded number sends stream 1, the other party stream 2. */
export const twoPartyMetadata = (recorded: string = NUMBERS.recorded, other: string = NUMBERS.other) =>
  buildMetadata([
    { aor: `sip:${recorded}@pbx.example.com`, sends: '1' },
    { aor: `sip:${other}@carrier.example.net`, sends: '2' },
  ]);

/** SDP offer of the two streams (labels 1 and 2) of {@link twoPartyMetadata}. */
export const twoStreamOffer = (opts: Pick<OfferStream, 'direction' | 'payloads'> = {}) =>
  buildOfferSdp([
    { label: '1', port: 40000, ...opts },
    { label: '2', port: 40002, ...opts },
  ]);

const DEMO = `
numbers:
  - number: '${NUMBERS.recorded}'
    userRef: user:default/bob
    slots: [{ weekdays: Mon-Sun, start: '00:00', end: '24:00' }]
    settings: { statusMode: manual, activeStatus: professional, simultaneousCalls: true }
  - number: '${NUMBERS.private}'
    userRef: user:default/carol
    slots: [{ weekdays: Mon-Sun, start: '00:00', end: '24:00' }]
    settings: { statusMode: manual, activeStatus: private }
  - number: '${NUMBERS.outside}'
    userRef: user:default/alice
    slots: []
    settings: { statusMode: auto }
  - number: '${NUMBERS.inactive}'
    userRef: user:default/dave
    mvrActive: false
    slots: [{ weekdays: Mon-Sun, start: '00:00', end: '24:00' }]
  - number: '${NUMBERS.single}'
    userRef: user:default/bob
    slots: [{ weekdays: Mon-Sun, start: '00:00', end: '24:00' }]
    settings: { statusMode: manual, activeStatus: professional, simultaneousCalls: false }
`;

export interface RecorderBackend {
  server: SiprecServer;
  port: number;
  dir: string;
  archiveDir: string;
  journalDir: string;
  knex: Knex;
  /** the backend's HTTP port (the plugin's API under /api/voice-recording) */
  httpPort: number;
  /** every line the backend logged (all plugins and modules, every level), in order */
  logLines: LogLine[];
  stop(): Promise<void>;
}

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  /** the logger's meta (plugin, ...) and the line's own, as strings */
  meta: string;
}

/** A root logger that keeps every line (tests look at what the recorder wrote). */
function capturingLogger(lines: LogLine[], meta: Record<string, unknown> = {}): LoggerService {
  const write = (level: LogLine['level']) => (message: string, extra?: unknown) => {
    lines.push({ level, message: String(message), meta: JSON.stringify({ ...meta, ...(extra as object) }) });
  };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: more => capturingLogger(lines, { ...meta, ...more }),
  };
}

export async function startRecorderBackend(
  knex: Knex,
  recorder: Record<string, unknown> = {},
  /** more `voiceRecording` config (e.g. encryption, the portal's storage), given the test's directories */
  voiceRecording?: (dirs: { dir: string; archiveDir: string }) => Record<string, unknown>,
): Promise<RecorderBackend> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-siprec-'));
  const demoFile = path.join(dir, 'demo.yaml');
  fs.writeFileSync(demoFile, DEMO);
  const archiveDir = path.join(dir, 'recordings');
  const journalDir = path.join(dir, 'journal');
  let server: SiprecServer | undefined;
  const logLines: LogLine[] = [];
  const backend = await startTestBackend({
    features: [
      voiceRecordingPlugin,
      createSiprecModule({ onStarted: s => (server = s) }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          voiceRecording: {
            demoData: { file: demoFile },
            recorder: {
              bindAddress: '127.0.0.1',
              advertisedAddress: '127.0.0.1',
              instanceId: 'test-recorder',
              sip: { port: 0 },
              rtp: { inactivityTimeoutSeconds: 3 },
              storage: { journalDir, archiveDir, minFreeMegabytes: 1 },
              // Opus at the call's end, so tests read the final file once the call is
              // registered; SiprecServer.compression.test.ts covers the default (background)
              opus: { encode: 'call-end' },
              // no graceful drain at the test's stop (calls still running are ended at
              // once, as before); SiprecServer.drain.test.ts covers the drain
              drain: { timeoutSeconds: 0 },
              ...recorder,
            },
            // the portal's storage in the test's directory, not the default
            // ../../.data/recordings of the demo portal (whose encrypted files would stop
            // this backend without their key: docs/encryption.md); the recorder's archive
            // directory, as in a deployment (the plugin's archive work compresses there)
            storage: { local: { directory: archiveDir } },
            ...voiceRecording?.({ dir, archiveDir }),
          },
        },
      }),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.events.factory(),
      createServiceFactory({
        service: coreServices.rootLogger,
        deps: {},
        factory: () => capturingLogger(logLines),
      }),
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({ send: async () => {} }),
      }),
    ] as any,
  });
  if (!server) {
    // the plugin logs and audits a capture source that fails to start and stays up
    await backend.stop();
    // what the plugin logged about it (the start's error), so that a failure says why
    const why = logLines
      .filter(l => l.level === 'error' || /capture source .* failed to start/.test(l.message))
      .map(l => l.message)
      .slice(-5);
    throw new Error(`the SIPREC recorder did not start${why.length ? `: ${why.join(' | ')}` : ''}`);
  }
  return {
    server,
    port: server.addresses.udp!,
    dir,
    archiveDir,
    journalDir,
    knex,
    httpPort: (backend.server.address() as { port: number }).port,
    logLines,
    stop: () => backend.stop(),
  };
}

/** Polls until `fn` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

export async function finishedConversation(knex: Knex, sipCallId: string, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const row = await knex('vr_conversations').where('sip_call_id', sipCallId).first();
      return row && row.state !== 'recording' ? row : undefined;
    },
    timeoutMs,
    `conversation ${sipCallId} to finish`,
  );
}

/** The conversation once its archive is compressed and the interim WAV is gone. */
export async function compressedConversation(knex: Knex, sipCallId: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const row = await knex('vr_conversations').where('sip_call_id', sipCallId).first();
      return row && row.state === 'finished' && row.compress_to === null && row.superseded_storage_key === null ? row : undefined;
    },
    timeoutMs,
    `the archive of ${sipCallId} to be compressed`,
  );
}

export async function refusedSession(knex: Knex, sipCallId: string) {
  return waitFor(
    async () => knex('vr_refused_sessions').where('sip_call_id', sipCallId).first(),
    10_000,
    `refused session ${sipCallId}`,
  );
}
