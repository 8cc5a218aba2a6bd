import { testStorageDirectory } from '../__testUtils__/testStorageDirectory';
import path from 'node:path';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import {
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  CaptureContext,
  CaptureSource,
  voiceRecordingCaptureExtensionPoint,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { voiceRecordingPlugin } from '../plugin';
import { CaptureSources } from './CaptureSources';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const demoFile = path.resolve(
  __dirname,
  '../../../../examples/voice-recording.yaml',
);

/** A recorder that records one call at start and finalizes it when stopped. */
class FakeRecorder implements CaptureSource {
  readonly id = 'fake';
  ctx?: CaptureContext;
  callId?: string;
  events: string[] = [];

  async start(ctx: CaptureContext) {
    this.ctx = ctx;
    this.events.push('start');
    const r = await ctx.policy.lookupAndDecide({
      participants: ['sip:+32470123456@sbc', 'tel:+32499887766'],
      at: new Date(),
      hints: { direction: 'outgoing' },
    });
    if (!r.recordedNumber) throw new Error('demo number +32470123456 missing');
    this.callId = await ctx.conversations.begin({
      recordedNumber: r.recordedNumber,
      direction: r.direction,
      otherParty: r.otherParty,
      startedAt: new Date(),
      sipCallId: 'fake-call-1',
      participants: r.participants,
    });
  }

  async stop() {
    // slow finalization: shutdown must wait for it
    await new Promise(resolve => setTimeout(resolve, 200));
    await this.ctx!.conversations.finish(this.callId!, {
      endedAt: new Date(),
      endedBy: 'shutdown',
      storageKey: 'fake/1.wav',
      sha256: 'd'.repeat(64),
      bytes: 44,
      format: 'wav',
    });
    this.events.push('stopped');
  }
}

describe.each(databases.eachSupportedId())(
  'capture sources in the plugin on %s',
  databaseId => {
    it('starts each capture source after the router and awaits stop at shutdown', async () => {
      const knex: Knex = await databases.init(databaseId);
      const recorder = new FakeRecorder();
      const broken: CaptureSource = {
        id: 'broken',
        start: async () => {
          throw new Error('port 5060 in use');
        },
        stop: jest.fn(async () => {}),
      };
      const module = createBackendModule({
        pluginId: 'voice-recording',
        moduleId: 'test-capture',
        register(env) {
          env.registerInit({
            deps: { capture: voiceRecordingCaptureExtensionPoint },
            async init({ capture }) {
              capture.addCaptureSource(broken);
              capture.addCaptureSource(recorder);
            },
          });
        },
      });
      const backend = await startTestBackend({
        features: [
          voiceRecordingPlugin,
          module,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              voiceRecording: {
                demoData: { file: demoFile },
                // its own storage: never the demo portal's .data/recordings
                storage: { local: { directory: testStorageDirectory() } },
              },
            },
          }),
          catalogServiceMock.factory({ entities: [] }),
          mockServices.events.factory(),
          createServiceFactory({
            service: notificationService,
            deps: {},
            factory: () => ({ send: async () => {} }),
          }),
        ] as any,
      });

      // the broken source did not keep the working one from starting
      expect(recorder.events).toEqual(['start']);
      expect(recorder.ctx!.config.defaultCountry).toBe('BE');
      const row = await knex('vr_conversations')
        .where('id', recorder.callId!)
        .first();
      expect(row).toMatchObject({
        state: 'recording',
        capture_source: 'fake',
        direction: 'outgoing',
        other_party: '+32499887766',
      });
      const audit = await knex('vr_audit_log')
        .where('action', 'capture-source-start')
        .orderBy('id');
      expect(
        audit.map(a => [a.actor_ref, JSON.parse(a.details).outcome]),
      ).toEqual([
        ['capture:broken', 'failed'],
        ['capture:fake', 'succeeded'],
      ]);

      await backend.stop();
      expect(recorder.events).toEqual(['start', 'stopped']);
      // only started sources are stopped
      expect(broken.stop).not.toHaveBeenCalled();
      const after = await knex('vr_conversations')
        .where('id', recorder.callId!)
        .first();
      expect(after).toMatchObject({ state: 'finished', ended_by: 'shutdown' });
      await knex.destroy();
    });
  },
);

describe('CaptureSources', () => {
  const options = {
    logger: mockServices.rootLogger({ level: 'none' }),
    audit: { record: async () => {} },
    contextFor: () => ({} as CaptureContext),
  };
  const source = (id: string): CaptureSource => ({
    id,
    start: async () => {},
    stop: async () => {},
  });

  it('refuses duplicate and invalid source ids', () => {
    expect(
      () => new CaptureSources([source('siprec'), source('siprec')], options),
    ).toThrow(
      'voice-recording capture sources: id(s) siprec added more than once',
    );
    expect(() => new CaptureSources([source('no spaces')], options)).toThrow(
      /invalid id\(s\) "no spaces"/,
    );
  });

  it('stops all started sources even when one fails to stop', async () => {
    const stopped: string[] = [];
    const sources: CaptureSource[] = [
      {
        id: 'a',
        start: async () => {},
        stop: async () => {
          throw new Error('disk full');
        },
      },
      {
        id: 'b',
        start: async () => {},
        stop: async () => void stopped.push('b'),
      },
    ];
    const s = new CaptureSources(sources, options);
    expect(await s.startAll()).toEqual(['a', 'b']);
    await s.stopAll();
    expect(stopped).toEqual(['b']);
    // a second stop does nothing
    await s.stopAll();
    expect(stopped).toEqual(['b']);
  });
});
