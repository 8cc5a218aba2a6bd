/*
 * Graceful drain with object storage (issue 20): a recorder told to stop lets its call run
 * on to the BYE, then waits for the upload of what it staged, so that a recorder taken out
 * of a cluster leaves no recording on its disk. The object store (the shared Ceph RGW of
 * the tests) is reached through a TCP proxy of this test that is cut when the call ends:
 * the upload fails and is retried until the proxy is restored, and the stop waits for it.
 * Real UDP SIPREC call, the real plugin on SQLite and PostgreSQL.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { TestDatabases } from '@backstage/backend-test-utils';
import { S3BlobStore } from '@mvr/plugin-voice-recording-node';
import { createTestBucket, describeWithS3, removeTestBucket, s3AdminClient, s3StoreOptions } from '@mvr/plugin-voice-recording-node/testUtils';
import { encodeAlaw } from '../codecs';
import { RecorderBackend, finishedConversation, startRecorderBackend, twoPartyMetadata, twoStreamOffer } from '../__testUtils__/recorderBackend';
import { SrcClient, streamRtp } from '../testing/SrcClient';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const OUTAGE_MS = 3000;

/** A TCP proxy to the object store that can be cut (connections reset, new ones refused) and restored. */
class CuttableProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}
  async open(port = 0): Promise<void> {
    const server = net.createServer(client => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>(resolve => server.listen(port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()));
  }
}

function tone(seconds: number, freq: number): Int16Array {
  const pcm = new Int16Array(Math.round(8000 * seconds));
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000));
  return pcm;
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

describeWithS3('SIPREC recorder: drain waits for the upload of its staged recordings', server => {
  const admin = s3AdminClient(server);
  afterAll(() => admin.destroy());

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    let rb: RecorderBackend | undefined;
    let src: SrcClient | undefined;
    let proxy: CuttableProxy | undefined;
    let bucket: string;

    afterEach(async () => {
      await src?.close();
      await rb?.stop().catch(() => undefined);
      await proxy?.cut();
      if (rb) fs.rmSync(rb.dir, { recursive: true, force: true });
      if (bucket) await removeTestBucket(admin, bucket).catch(() => undefined);
    });

    it('a call ending during the drain: the stop waits until its archive is uploaded and verified; nothing stays staged', async () => {
      bucket = await createTestBucket(admin);
      const endpoint = new URL(server.endpoint);
      proxy = new CuttableProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
      await proxy.open();
      rb = await startRecorderBackend(
        await databases.init(databaseId),
        { drain: { timeoutSeconds: 60 }, archiveFormat: 'wav-g711', upload: { retryMinSeconds: 0.3, retryMaxSeconds: 0.5 } },
        () => ({
          storage: {
            s3: {
              bucket,
              endpoint: `http://127.0.0.1:${proxy!.port}`,
              region: server.region,
              forcePathStyle: true,
              credentials: server.credentials,
              requestTimeoutSeconds: 2,
            },
          },
        }),
      );
      src = new SrcClient({ host: '127.0.0.1', port: rb.port, transport: 'udp' });
      await src.start();
      const call = await src.invite({ sdp: twoStreamOffer(), metadata: twoPartyMetadata() });
      expect(call.response!.status).toBe(200);
      const media = (s: number) =>
        Promise.all([
          streamRtp({ port: call.mediaPorts[0], payload: encodeAlaw(tone(s, 440)), payloadType: 8 }),
          streamRtp({ port: call.mediaPorts[1], payload: encodeAlaw(tone(s, 620)), payloadType: 8 }),
        ]);
      await media(1);
      const stopAt = Date.now();
      const stopped = rb.stop();
      let done = false;
      stopped.then(() => (done = true));
      await media(1);
      // the object store goes away just before the BYE: the archive is staged, its upload fails
      await proxy.cut();
      expect((await src.bye(call)).status).toBe(200);
      const row = await finishedConversation(rb.knex, call.callId);
      expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', storage_location: 'staged:test-recorder' });
      await new Promise(r => setTimeout(r, OUTAGE_MS));
      expect(done).toBe(false); // the drain still waits for the upload
      await proxy.open(proxy.port);
      await stopped;
      const stopMs = Date.now() - stopAt;

      const after = await rb.knex('vr_conversations').where('sip_call_id', call.callId).first();
      expect(after.storage_location).toBeNull();
      const objects = new S3BlobStore(s3StoreOptions(server, bucket));
      try {
        const stored = await readAll(await objects.get(after.storage_key));
        expect(stored.length).toBe(Number(after.bytes));
        expect(createHash('sha256').update(stored).digest('hex')).toBe(after.sha256);
      } finally {
        objects.destroy();
      }
      expect(fs.existsSync(path.join(rb.archiveDir, after.storage_key))).toBe(false);
      const messages = rb.logLines.map(l => l.message);
      expect(messages.some(m => /SIPREC recorder draining: waiting for the upload of \d+ staged recording\(s\)/.test(m))).toBe(true);
      expect(messages.some(m => /SIPREC recorder drained: \d+ staged recording\(s\) uploaded/.test(m))).toBe(true);
      expect(stopMs).toBeGreaterThan(1000 + OUTAGE_MS);
      // eslint-disable-next-line no-console
      console.log(`drain with S3 (${databaseId}): stopped ${stopMs} ms after it began (1 s call, ${OUTAGE_MS} ms store outage after the BYE)`);
    });
  });
});
