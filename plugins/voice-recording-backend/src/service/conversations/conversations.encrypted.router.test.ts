/*
 * Encryption at rest through the HTTP API (docs/encryption.md): a recording stored
 * encrypted plays back with Range requests, downloads as MP3, exports in a ZIP whose
 * hashes are the recording's (plaintext) hashes; derived files are encrypted too; a
 * plain (legacy) recording in the same storage still plays; a backend configured with
 * a wrong key refuses to start, naming the key id.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mockCredentials, startTestBackend, TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  EncryptedBlobStore,
  LocalFileBlobStore,
  OggOpusWriter,
  StaticKeyEncryptionKeys,
  writeWavPcm16Stereo,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import { readMp3Frames } from '../../audio/mp3';
import { ALICE, aliceTestFeatures, sweepTone } from '../__testUtils__/aliceTestBackend';
import { binary, finishedCall } from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const KEY_ID = 'router-test-1';

/** A finished call of bob's (the defaults of this test), `extra` added. */
const bobCall = (startedAt: string, extra: Partial<Conversation>) =>
  finishedCall(startedAt, { number: '+32470123456', userRef: 'user:default/bob', durationMs: 120_000, ...extra });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile())
    .map(e => path.relative(dir, path.join(e.parentPath, e.name)));
}

function features(knex: Knex, storageDir: string, key: Buffer) {
  return aliceTestFeatures(knex, {
    storage: { local: { directory: storageDir } },
    encryption: { activeKeyId: KEY_ID, keys: [{ id: KEY_ID, key: key.toString('base64') }] },
  });
}

describe.each(databases.eachSupportedId())('conversations API with encryption at rest on %s', databaseId => {
  let knex: Knex;
  let app: any;
  let stop: () => Promise<void>;
  let storageDir: string;
  const key = randomBytes(32);
  let ogg: Buffer;
  let wav: Buffer;
  let opusCall: Conversation;
  let legacyCall: Conversation;
  const as = { Authorization: mockCredentials.user.header(ALICE) };
  const api = '/api/voice-recording';

  beforeAll(async () => {
    knex = await databases.init(databaseId);
    storageDir = mkdtempSync(path.join(tmpdir(), 'vr-enc-router-'));
    const backend = await startTestBackend({ features: features(knex, storageDir, key) });
    app = backend.server;
    stop = () => backend.stop();
    // the recorder's side: the same storage and key
    const local = new LocalFileBlobStore(storageDir, { minFreeBytes: 0 });
    const blobs = new EncryptedBlobStore(local, new StaticKeyEncryptionKeys([[KEY_ID, key]], KEY_ID));
    const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2 });
    ogg = Buffer.concat([...writer.write(sweepTone(120)), ...writer.end()]);
    const stored = await blobs.put('recordings/enc/call.opus', ogg, { contentType: 'audio/ogg; codecs=opus' });
    // a recording from before encryption was turned on: plain on disk
    // 16-bit PCM: served as stored (an A-law WAV would be served through a derived PCM copy)
    const pcm = sweepTone(3);
    wav = writeWavPcm16Stereo(pcm.filter((_, i) => i % 2 === 0), pcm.filter((_, i) => i % 2 === 1), 8000);
    const storedWav = await local.put('recordings/old/call.wav', wav, { contentType: 'audio/wav' });
    opusCall = bobCall('2026-03-02T09:30:00.000Z', {
      storageKey: stored.key,
      sha256: stored.sha256,
      bytes: stored.size,
      format: 'audio/ogg; codecs=opus',
    });
    legacyCall = bobCall('2026-03-03T14:00:00.000Z', {
      durationMs: 3000,
      storageKey: storedWav.key,
      sha256: storedWav.sha256,
      bytes: storedWav.size,
      format: 'wav',
      otherParty: '+33612345678',
    });
    await knex('vr_conversations').delete();
    await new ConversationSearchStore(knex).insertFinished([opusCall, legacyCall]);
  });

  afterAll(async () => {
    await stop?.();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('stores the recording encrypted, with the plaintext hash and size on the conversation', () => {
    expect(ogg.length).toBeGreaterThan(3 * 64 * 1024); // several 64 KiB segments
    expect(opusCall.sha256).toBe(createHash('sha256').update(ogg).digest('hex'));
    expect(opusCall.bytes).toBe(ogg.length);
    const onDisk = readFileSync(path.join(storageDir, 'recordings/enc/call.opus'));
    expect(onDisk.subarray(0, 6).toString('ascii')).toBe('MVRENC');
    expect(onDisk.includes(Buffer.from('OggS'))).toBe(false);
    expect(onDisk.includes(Buffer.from('OpusHead'))).toBe(false);
  });

  it('plays the encrypted recording with Range requests (206 across segment boundaries, suffix, open end; 416)', async () => {
    const url = `${api}/conversations/${opusCall.id}/audio`;
    const full = await binary(request(app).get(url).set(as));
    expect(full.status).toBe(200);
    expect(full.headers['content-type']).toBe('audio/ogg; codecs=opus');
    expect(Number(full.headers['content-length'])).toBe(ogg.length);
    expect(Buffer.compare(full.body, ogg)).toBe(0);
    const get = (range: string) => binary(request(app).get(url).set(as).set('Range', range));
    const S = 64 * 1024;
    for (const [range, start, end] of [
      ['bytes=0-99', 0, 99],
      [`bytes=${S - 10}-${S + 9}`, S - 10, S + 9],
      [`bytes=${2 * S}-${3 * S - 1}`, 2 * S, 3 * S - 1],
      ['bytes=-50', ogg.length - 50, ogg.length - 1],
      [`bytes=${ogg.length - 10}-`, ogg.length - 10, ogg.length - 1],
    ] as Array<[string, number, number]>) {
      const r = await get(range);
      expect(r.status).toBe(206);
      expect(r.headers['content-range']).toBe(`bytes ${start}-${end}/${ogg.length}`);
      expect(Buffer.compare(r.body, ogg.subarray(start, end + 1))).toBe(0);
    }
    for (const bad of [`bytes=${ogg.length}-`, 'bytes=500-100']) {
      const r = await get(bad);
      expect(r.status).toBe(416);
      expect(r.headers['content-range']).toBe(`bytes */${ogg.length}`);
    }
  });

  it('plays a plain recording stored before encryption was turned on', async () => {
    const r = await binary(request(app).get(`${api}/conversations/${legacyCall.id}/audio?format=wav`).set(as));
    expect(r.status).toBe(200);
    expect(Buffer.compare(r.body, wav)).toBe(0);
    const part = await binary(request(app).get(`${api}/conversations/${legacyCall.id}/audio?format=wav`).set(as).set('Range', 'bytes=4-11'));
    expect(part.status).toBe(206);
    expect(part.body.toString('ascii')).toBe(wav.subarray(4, 12).toString('ascii'));
  });

  it('derives MP3, WAV and the waveform from the encrypted recording and stores them encrypted', async () => {
    const mp3 = await binary(request(app).get(`${api}/conversations/${opusCall.id}/download`).set(as));
    expect(mp3.status).toBe(200);
    expect(mp3.headers['content-type']).toBe('audio/mpeg');
    const { frames, durationMs } = readMp3Frames(mp3.body);
    expect(frames.length).toBeGreaterThan(100);
    expect(Math.abs(durationMs - 120_000) / 120_000).toBeLessThan(0.05);
    const asWav = await binary(request(app).get(`${api}/conversations/${opusCall.id}/audio?format=wav`).set(as).set('Range', 'bytes=0-43'));
    expect(asWav.status).toBe(206);
    expect(asWav.body.subarray(0, 4).toString('ascii')).toBe('RIFF');
    const waveform = await request(app).get(`${api}/conversations/${opusCall.id}/waveform?points=100`).set(as);
    expect(waveform.status).toBe(200);
    // every file the portal wrote (derived MP3/WAV/peaks) is encrypted on disk
    const derived = filesUnder(storageDir).filter(f => f.startsWith('derived') && !f.endsWith('.meta.json'));
    expect(derived.length).toBeGreaterThanOrEqual(2);
    for (const f of derived) {
      const head = readFileSync(path.join(storageDir, f)).subarray(0, 6).toString('ascii');
      expect(`${f}: ${head}`).toBe(`${f}: MVRENC`);
    }
    expect(statSync(path.join(storageDir, '_encryption', 'key-check', KEY_ID)).size).toBeGreaterThan(512);
  });

  it('exports a ZIP whose audio and SHA256SUMS are the plaintext recordings', async () => {
    const r = await binary(
      request(app).post(`${api}/conversations/export`).set(as).send({ from: '2026-03-01T00:00:00Z' }),
    );
    expect(r.status).toBe(200);
    const dir = mkdtempSync(path.join(tmpdir(), 'vr-enc-zip-'));
    try {
      writeFileSync(path.join(dir, 'x.zip'), r.body);
      mkdirSync(path.join(dir, 'out'));
      execFileSync('unzip', ['-q', path.join(dir, 'x.zip'), '-d', path.join(dir, 'out')]);
      const out = path.join(dir, 'out');
      const audio = filesUnder(out).filter(f => f.startsWith('audio'));
      expect(audio.sort()).toEqual([
        'audio/2026-03-02_1030_+32470123456_+32475111222.ogg',
        'audio/2026-03-03_1500_+32470123456_+33612345678.wav',
      ]);
      expect(Buffer.compare(readFileSync(path.join(out, audio[0])), ogg)).toBe(0);
      expect(Buffer.compare(readFileSync(path.join(out, audio[1])), wav)).toBe(0);
      for (const line of readFileSync(path.join(out, 'SHA256SUMS'), 'utf8').trim().split('\n')) {
        const [hash, name] = [line.slice(0, 64), line.slice(66)];
        expect(createHash('sha256').update(readFileSync(path.join(out, name))).digest('hex')).toBe(hash);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start with a wrong key for the key id, naming it', async () => {
    await expect(startTestBackend({ features: features(knex, storageDir, randomBytes(32)) })).rejects.toThrow(
      new RegExp(`Encryption key "${KEY_ID}" cannot unwrap`),
    );
  });
});
