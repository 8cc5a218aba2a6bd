import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { decodeOggOpus } from './opusFile';
import { OpusEncoderPool, threadableStore } from './opusEncoderPool';
import { encodeAlaw } from './g711';
import { writeWavG711Stereo } from './wav';
import { BlobStore, LocalFileBlobStore } from '../storage/BlobStore';
import { EncryptedBlobStore } from '../storage/EncryptedBlobStore';
import { KeyEncryptionKeys, StaticKeyEncryptionKeys } from '../storage/KeyEncryptionKeys';
import { whileLibuvPoolBlocked } from '../__testUtils__/libuvPoolBlocked';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function tone(samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return out;
}

describe('OpusEncoderPool with a store encrypted at rest', () => {
  let dir: string;
  let pool: OpusEncoderPool | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-enc-transcode-'));
  });
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('transcodes an encrypted WAV on the encoder thread (keys passed to it) into an encrypted Opus file', async () => {
    const keys = new StaticKeyEncryptionKeys([['k1', randomBytes(32)]], 'k1');
    const store = new EncryptedBlobStore(new LocalFileBlobStore(dir, { minFreeBytes: 0 }), keys);
    const seconds = 10;
    const left = encodeAlaw(tone(8000 * seconds));
    const right = encodeAlaw(tone(8000 * seconds).map(v => -v));
    const wav = writeWavG711Stereo('alaw', left, right);
    const source = await store.put('calls/a.wav', wav, { contentType: 'audio/wav' });
    await store.put('calls/a.wav.peaks', Buffer.from('peaks'), { contentType: 'application/octet-stream' });
    pool = new OpusEncoderPool({ threads: 1 });
    const job = { sourceKey: 'calls/a.wav', expectedSha256: source.sha256, targetKey: 'calls/a.opus', bitrate: 16000, complexity: 0 };
    expect(threadableStore(store)).toBe(store);
    // every file call on the thread: none while libuv's pool is blocked
    const result = await whileLibuvPoolBlocked(() => pool!.transcodeWav(store, job).result);

    const opus = await readAll(await store.get('calls/a.opus'));
    // the row's hash and size are the plaintext's (what is signed and exported)
    expect(result).toMatchObject({ bytes: opus.length, sha256: createHash('sha256').update(opus).digest('hex'), peaksCopied: true });
    expect(decodeOggOpus(opus).samples).toBe(8000 * seconds);
    expect((await readAll(await store.get('calls/a.opus.peaks'))).toString()).toBe('peaks');
    // on disk: envelopes, no Ogg page and no plain peaks
    const onDisk = fs.readFileSync(path.join(dir, 'calls', 'a.opus'));
    expect(onDisk.subarray(0, 6).toString('ascii')).toBe('MVRENC');
    expect(onDisk.includes(Buffer.from('OggS'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'calls', 'a.opus.peaks')).includes(Buffer.from('peaks'))).toBe(false);
  }, 60_000);

  it('leaves a store it cannot open on a thread (not local files, or keys held elsewhere) to the calling thread', () => {
    const local = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
    const kms: KeyEncryptionKeys = {
      activeKeyId: 'kms-1',
      keyIds: ['kms-1'],
      wrap: async () => ({ keyId: 'kms-1', wrapped: Buffer.alloc(60) }),
      unwrap: async () => Buffer.alloc(32),
    };
    const other: BlobStore = { ...local, put: local.put.bind(local) } as unknown as BlobStore;
    expect(threadableStore(local)).toBe(local);
    expect(threadableStore(new EncryptedBlobStore(local, kms))).toBeUndefined();
    expect(threadableStore(other)).toBeUndefined();
  });
});
