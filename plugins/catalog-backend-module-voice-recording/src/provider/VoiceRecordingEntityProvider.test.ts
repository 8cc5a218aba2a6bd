import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockServices } from '@backstage/backend-test-utils';
import { SchedulerServiceTaskInvocationDefinition } from '@backstage/backend-plugin-api';
import { DefaultEventsService } from '@backstage/plugin-events-node';
import { EntityProviderConnection } from '@backstage/plugin-catalog-node';
import { RecordedNumber } from '@mvr/plugin-voice-recording-common';
import {
  VOICE_RECORDING_HEALTH_TOPIC,
  VOICE_RECORDING_NUMBERS_TOPIC,
} from '@mvr/plugin-voice-recording-node';
import { VoiceRecordingEntityProvider } from './VoiceRecordingEntityProvider';

function makeNumber(i: number): RecordedNumber {
  return {
    id: `id-${i}`,
    number: `+3247000${String(i).padStart(4, '0')}`,
    userRef: i % 2 ? 'user:default/bob' : 'user:default/carol',
    mvrActive: true,
    fmu: false,
    settings: {
      beep: false,
      smsOnStatusChange: false,
      statusMode: 'auto',
      activeStatus: 'professional',
      selfManaged: false,
      simultaneousCalls: true,
      timeZone: 'Europe/Brussels',
    },
    slots: [{ weekdays: [1], start: '08:00', end: '18:00' }],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
}

/** A stand-in for the voice-recording backend: GET /api/voice-recording/numbers. */
class FakeVoiceRecordingApi {
  numbers: RecordedNumber[] = [];
  /** the unresolved alarms GET /health/alarms answers; undefined: 404 (older backend) */
  alarms?: Array<{ numberId?: string; severity: 'warning' | 'failed' }>;
  requests: { url: string; authorization?: string }[] = [];
  failWith?: number;
  private server = http.createServer((req, res) => {
    this.requests.push({
      url: req.url!,
      authorization: req.headers.authorization,
    });
    const url = new URL(req.url!, 'http://localhost');
    if (this.failWith) {
      res.writeHead(this.failWith, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { name: 'NotAllowedError', message: 'denied by test' },
          response: { statusCode: this.failWith },
        }),
      );
      return;
    }
    if (
      req.method === 'GET' &&
      url.pathname === '/api/voice-recording/health/alarms' &&
      this.alarms &&
      req.headers.authorization?.startsWith('Bearer ')
    ) {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          items: this.alarms.slice(offset, offset + limit),
          totalCount: this.alarms.length,
        }),
      );
      return;
    }
    if (
      req.method !== 'GET' ||
      url.pathname !== '/api/voice-recording/numbers'
    ) {
      res.writeHead(404).end();
      return;
    }
    if (!req.headers.authorization?.startsWith('Bearer ')) {
      res.writeHead(401).end();
      return;
    }
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        items: this.numbers
          .slice(offset, offset + Math.min(limit, 500))
          .map(n => ({ ...n, status: 'recording' })),
        total: this.numbers.length,
      }),
    );
  });

  async start(): Promise<string> {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', () => resolve()),
    );
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/voice-recording`;
  }

  async stop() {
    await new Promise(resolve => this.server.close(resolve));
  }
}

describe('VoiceRecordingEntityProvider', () => {
  const api = new FakeVoiceRecordingApi();
  let baseUrl: string;
  const logger = mockServices.logger.mock();
  const discovery = {
    getBaseUrl: jest.fn(async (pluginId: string) =>
      pluginId === 'voice-recording' ? baseUrl : 'http://127.0.0.1:9/unknown',
    ),
    getExternalBaseUrl: jest.fn(),
  };

  beforeAll(async () => {
    baseUrl = await api.start();
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.numbers = [];
    api.alarms = undefined;
    api.requests = [];
    api.failWith = undefined;
  });

  function makeProvider(extra: { events?: DefaultEventsService } = {}) {
    let task: SchedulerServiceTaskInvocationDefinition | undefined;
    const provider = new VoiceRecordingEntityProvider({
      auth: mockServices.auth(),
      discovery,
      logger,
      appBaseUrl: 'http://localhost:7007',
      system: 'mobile-voice-recording',
      taskRunner: {
        run: async t => {
          task = t;
        },
      },
      eventDebounceMs: 20,
      ...extra,
    });
    const connection: jest.Mocked<EntityProviderConnection> = {
      applyMutation: jest.fn(),
      refresh: jest.fn(),
    };
    return {
      provider,
      connection,
      runTask: () => task!.fn(new AbortController().signal),
    };
  }

  it('pages through all numbers with a service token and applies one full mutation', async () => {
    api.numbers = Array.from({ length: 1203 }, (_, i) => makeNumber(i));
    const { provider, connection, runTask } = makeProvider();
    await provider.connect(connection);

    await runTask();

    expect(api.requests.map(r => r.url)).toEqual([
      '/api/voice-recording/numbers?limit=500&offset=0',
      '/api/voice-recording/numbers?limit=500&offset=500',
      '/api/voice-recording/numbers?limit=500&offset=1000',
      '/api/voice-recording/health/alarms?state=open,acknowledged&limit=500&offset=0',
    ]);
    const token = api.requests[0].authorization!.replace('Bearer ', '');
    // mockServices.auth issues a recognisable plugin-to-plugin token
    expect(JSON.parse(token.replace(/^mock-service-token:/, ''))).toMatchObject(
      {
        target: 'voice-recording',
      },
    );

    expect(connection.applyMutation).toHaveBeenCalledTimes(1);
    const mutation = connection.applyMutation.mock.calls[0][0];
    expect(mutation.type).toBe('full');
    if (mutation.type !== 'full') throw new Error('unreachable');
    expect(mutation.entities).toHaveLength(1203);
    expect(mutation.entities[1].entity).toMatchObject({
      apiVersion: 'voice-recording.mvr/v1alpha1',
      kind: 'RecordedNumber',
      metadata: {
        name: 'mobile-id-1',
        title: '+32470000001',
        annotations: {
          'backstage.io/managed-by-location': `voice-recording:${baseUrl}`,
          'voice-recording.mvr/number-id': 'id-1',
        },
      },
      spec: { type: 'mobile-number', owner: 'user:default/bob' },
    });
  });

  it("annotates each recorded number's recording health from its unresolved alarms (the worst severity), ok without any", async () => {
    api.numbers = [0, 1, 2, 3].map(makeNumber);
    api.numbers[3].mvrActive = false;
    api.alarms = [
      { numberId: 'id-1', severity: 'warning' },
      { numberId: 'id-1', severity: 'failed' },
      { numberId: 'id-2', severity: 'warning' },
      { severity: 'warning' }, // a recorder's alarm
    ];
    const { provider, connection } = makeProvider();
    await provider.connect(connection);
    await provider.refresh();
    const mutation = connection.applyMutation.mock.calls[0][0];
    if (mutation.type !== 'full') throw new Error('unreachable');
    expect(
      mutation.entities.map(
        e =>
          e.entity.metadata.annotations?.[
            'voice-recording.mvr/recording-health'
          ],
      ),
    ).toEqual(['ok', 'failed', 'warning', undefined]);
    expect(
      api.requests.filter(r => r.url.includes('/health/alarms'))[0]
        .authorization,
    ).toMatch(/^Bearer /);
  });

  it('emits the entities without their health when the alarms cannot be read', async () => {
    api.numbers = [makeNumber(1)];
    const { provider, connection } = makeProvider();
    await provider.connect(connection);
    await provider.refresh();
    const mutation = connection.applyMutation.mock.calls[0][0];
    if (mutation.type !== 'full') throw new Error('unreachable');
    expect(mutation.entities).toHaveLength(1);
    expect(mutation.entities[0].entity.metadata.annotations).not.toHaveProperty(
      'voice-recording.mvr/recording-health',
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/recording health not read .*HTTP 404/),
    );
  });

  it('applies an empty full mutation when no number is left (removes stale entities)', async () => {
    const { provider, connection } = makeProvider();
    await provider.connect(connection);
    await provider.refresh();
    expect(connection.applyMutation).toHaveBeenCalledWith({
      type: 'full',
      entities: [],
    });
  });

  it('does not touch the catalog when the API answers an error', async () => {
    api.failWith = 403;
    api.numbers = [makeNumber(1)];
    const { provider, connection, runTask } = makeProvider();
    await provider.connect(connection);

    await expect(provider.refresh()).rejects.toThrow(/403/);
    await runTask(); // the scheduled task logs instead of throwing
    expect(connection.applyMutation).not.toHaveBeenCalled();
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringMatching(/refresh failed: .*403/),
    );
  });

  it('refreshes when recording alarms change (the recording-health topic), with the new health', async () => {
    const events = DefaultEventsService.create({ logger });
    const { provider, connection } = makeProvider({ events });
    await provider.connect(connection);
    api.numbers = [makeNumber(1)];
    api.alarms = [{ numberId: 'id-1', severity: 'failed' }];

    await events.publish({
      topic: VOICE_RECORDING_HEALTH_TOPIC,
      eventPayload: { numberIds: ['id-1'] },
    });
    await waitFor(() => expect(connection.applyMutation).toHaveBeenCalled());
    const mutation = connection.applyMutation.mock.calls[0][0];
    if (mutation.type !== 'full') throw new Error('unreachable');
    expect(
      mutation.entities[0].entity.metadata.annotations?.[
        'voice-recording.mvr/recording-health'
      ],
    ).toBe('failed');
    provider.close();
  });

  it('refreshes once, debounced, after a burst of change events', async () => {
    const events = DefaultEventsService.create({ logger });
    const { provider, connection } = makeProvider({ events });
    await provider.connect(connection);
    api.numbers = [makeNumber(1)];

    for (let i = 0; i < 5; i++) {
      await events.publish({
        topic: VOICE_RECORDING_NUMBERS_TOPIC,
        eventPayload: { action: 'upsert', numbers: ['+32470000001'] },
      });
    }
    await waitFor(() => expect(connection.applyMutation).toHaveBeenCalled());
    await new Promise(r => setTimeout(r, 100));

    expect(connection.applyMutation).toHaveBeenCalledTimes(1);
    const mutation = connection.applyMutation.mock.calls[0][0];
    expect(mutation.type === 'full' && mutation.entities).toHaveLength(1);
    provider.close();
  });

  it('coalesces a refresh requested while another one runs into one more run', async () => {
    api.numbers = [makeNumber(1)];
    const { provider, connection } = makeProvider();
    await provider.connect(connection);

    const first = provider.refresh();
    api.numbers = [makeNumber(1), makeNumber(2)];
    const second = provider.refresh();
    const third = provider.refresh();
    await Promise.all([first, second, third]);

    expect(connection.applyMutation).toHaveBeenCalledTimes(2);
    const last = connection.applyMutation.mock.calls[1][0];
    expect(last.type === 'full' && last.entities).toHaveLength(2);
  });
});

async function waitFor(assertion: () => void, timeoutMs = 2000) {
  const start = Date.now();
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() - start > timeoutMs) throw error;
      await new Promise(r => setTimeout(r, 10));
    }
  }
}
