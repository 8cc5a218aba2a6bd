#!/usr/bin/env node
/*
 * Time to first audio byte of a one-hour call through a real HTTP request to the
 * conversation routes (express on a local port, SQLite, local blob store):
 * `node bench/audioFirstByte.js [--encrypted]`. Prints the figures; target: first byte < 200 ms.
 * --encrypted: the blob store encrypted at rest (EncryptedBlobStore, docs/encryption.md).
 */
require('@backstage/cli/config/nodeTransform.cjs');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const express = require('express');
const knexFactory = require('knex');
const { OggOpusWriter, LocalFileBlobStore, EncryptedBlobStore, StaticKeyEncryptionKeys } = require('../plugins/voice-recording-node/src');
const { applyDatabaseMigrations } = require('../plugins/voice-recording-backend/src/database');
const { ConversationSearchStore } = require('../plugins/voice-recording-backend/src/database/ConversationSearchStore');
const { ConversationsService } = require('../plugins/voice-recording-backend/src/service/conversations/ConversationsService');
const { addConversationRoutes } = require('../plugins/voice-recording-backend/src/service/conversations/routes');

const SECONDS = Number(process.env.BENCH_AUDIO_SECONDS ?? 3600);
const ENCRYPTED = process.argv.includes('--encrypted');

function firstByte(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const req = http.get({ port, path: urlPath, headers }, res => {
      let first;
      let bytes = 0;
      res.on('data', d => {
        if (first === undefined) first = performance.now() - t;
        bytes += d.length;
      });
      res.on('end', () => resolve({ status: res.statusCode, firstMs: first, totalMs: performance.now() - t, bytes }));
    });
    req.on('error', reject);
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vr-bench-audio-'));
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: path.join(dir, 'db.sqlite') }, useNullAsDefault: true });
  try {
    await applyDatabaseMigrations(knex);
    const local = new LocalFileBlobStore(path.join(dir, 'blobs'), { minFreeBytes: 0 });
    const blobs = ENCRYPTED
      ? new EncryptedBlobStore(local, new StaticKeyEncryptionKeys([['bench-1', require('node:crypto').randomBytes(32)]], 'bench-1'))
      : local;
    console.log(`blob store: ${ENCRYPTED ? 'encrypted at rest (AES-256-GCM, 64 KiB segments)' : 'plain local files'}`);
    // one hour of two-party "speech-like" audio (tones with pauses), as the recorder writes it
    const t0 = performance.now();
    const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2, complexity: 0 });
    const chunks = [];
    const block = new Int16Array(8000 * 2);
    for (let s = 0; s < SECONDS; s++) {
      for (let i = 0; i < 8000; i++) {
        const talking = Math.floor(s / 5) % 2;
        block[i * 2] = talking ? Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000)) : 0;
        block[i * 2 + 1] = talking ? 0 : Math.round(6000 * Math.sin((2 * Math.PI * 450 * i) / 8000));
      }
      chunks.push(...writer.write(block));
    }
    chunks.push(...writer.end());
    const ogg = Buffer.concat(chunks);
    const put = await blobs.put('recordings/bench/one-hour.opus', ogg, { contentType: 'audio/ogg; codecs=opus' });
    console.log(`${SECONDS} s Ogg/Opus file: ${(put.size / 1e6).toFixed(2)} MB (encoded in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const store = new ConversationSearchStore(knex);
    const id = randomUUID();
    const now = new Date().toISOString();
    await store.insertFinished([{
      id, number: '+32470123456', userRef: 'user:default/bob', otherParty: '+32475111222', direction: 'outgoing',
      startedAt: now, durationMs: SECONDS * 1000, sipCallId: 'bench', participants: [], metadata: {}, dtmf: [],
      state: 'finished', storageKey: put.key, sha256: put.sha256, bytes: put.size, format: 'audio/ogg; codecs=opus',
      captureSource: 'bench', createdAt: now, updatedAt: now,
    }]);
    const logger = { info() {}, warn() {}, error: m => console.error(m), debug() {}, child() { return logger; } };
    const audit = { record: async () => undefined };
    const router = express.Router();
    addConversationRoutes(router, {
      httpAuth: { credentials: async () => ({ $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: 'user:default/alice' } }) },
      permissions: { authorizeConditional: async q => q.map(() => ({ result: 'ALLOW' })), authorize: async q => q.map(() => ({ result: 'ALLOW' })) },
      transform: c => c,
      audit,
      auditLog: { list: async () => ({ items: [], total: 0 }) },
      conversations: new ConversationsService({ store, blobs, audit, logger, timeZone: 'Europe/Brussels' }),
      defaultCountry: 'BE',
    });
    const app = express();
    app.use(router);
    const server = app.listen(0);
    await new Promise(r => server.once('listening', r));
    const port = server.address().port;
    const url = `/conversations/${id}/audio`;
    const runs = [];
    for (let i = 0; i < 10; i++) runs.push(await firstByte(port, url, { Range: 'bytes=0-' }));
    runs.sort((a, b) => a.firstMs - b.firstMs);
    console.log(`Ogg/Opus, Range bytes=0- (stream opened from the start): first byte p50 ${runs[5].firstMs.toFixed(1)} ms, max ${runs[9].firstMs.toFixed(1)} ms (status ${runs[0].status}, whole ${(runs[0].bytes / 1e6).toFixed(2)} MB in ${runs[5].totalMs.toFixed(0)} ms)`);
    const seek = await firstByte(port, url, { Range: `bytes=${Math.floor(put.size / 2)}-` });
    console.log(`Ogg/Opus, seek to the middle: first byte ${seek.firstMs.toFixed(1)} ms (status ${seek.status})`);
    const wav1 = await firstByte(port, `${url}?format=wav`);
    console.log(`WAV fallback, first request (decodes the hour, caches it): first byte ${wav1.firstMs.toFixed(0)} ms, ${(wav1.bytes / 1e6).toFixed(1)} MB`);
    const wav2 = await firstByte(port, `${url}?format=wav`, { Range: 'bytes=0-' });
    console.log(`WAV fallback, cached: first byte ${wav2.firstMs.toFixed(1)} ms`);
    server.close();
  } finally {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
