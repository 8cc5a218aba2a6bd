/*
 * Regulator export bench (docs/regulator-export.md, bench/README.md "Regulator export"):
 * BENCH_EXPORT_CONVERSATIONS conversations (default 2,000) whose archives are
 * BENCH_EXPORT_FILES real 60-second Ogg/Opus recordings (default 20, each shared by
 * several conversations: every one is still read, hashed and written into the ZIP), in
 * a temporary directory; the real ExportPackageBuilder builds the package of all of them
 * into a LocalFileBlobStore. Measures the build's time, rate and the process's resident
 * memory while it runs (sampled every 50 ms): the package is streamed, so memory should
 * not grow with it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import {
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
  LocalFileBlobStore,
  OggOpusWriter,
} from '../plugins/voice-recording-node/src';
import { applyDatabaseMigrations } from '../plugins/voice-recording-backend/src/database';
import { ConversationSearchStore } from '../plugins/voice-recording-backend/src/database/ConversationSearchStore';
import { ExportPackageBuilder } from '../plugins/voice-recording-backend/src/service/exports/ExportPackageBuilder';

export interface ExportFigures {
  conversations: number;
  archiveBytes: number;
  buildMs: number;
  packageBytes: number;
  entries: number;
  rssBeforeMb: number;
  rssPeakMb: number;
}

function tone(seconds: number, rate = 8000, f = 440): Int16Array {
  const out = new Int16Array(seconds * rate * 2);
  for (let i = 0; i < seconds * rate; i++) {
    out[i * 2] = Math.round(8000 * Math.sin((2 * Math.PI * f * i) / rate));
    out[i * 2 + 1] = Math.round(
      4000 * Math.sin((2 * Math.PI * (f * 1.5) * i) / rate),
    );
  }
  return out;
}

export async function benchRegulatorExport(
  knex: Knex,
  count: number,
  files: number,
): Promise<ExportFigures> {
  await applyDatabaseMigrations(knex);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vr-bench-export-'));
  try {
    const blobs = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
    const archives: Array<{ key: string; sha256: string; size: number }> = [];
    for (let f = 0; f < files; f++) {
      const writer = new OggOpusWriter({ sampleRate: 8000, channels: 2 });
      const ogg = Buffer.concat([
        ...writer.write(tone(60, 8000, 300 + f * 10)),
        ...writer.end(),
      ]);
      const stored = await blobs.put(`bench/${f}.opus`, ogg, {
        contentType: 'audio/ogg; codecs=opus',
      });
      archives.push({
        key: stored.key,
        sha256: stored.sha256,
        size: stored.size,
      });
    }
    const store = new ConversationSearchStore(knex);
    const base = Date.UTC(2026, 0, 1);
    let archiveBytes = 0;
    for (let from = 0; from < count; from += 500) {
      const rows = [];
      for (let i = from; i < Math.min(count, from + 500); i++) {
        const a = archives[i % files];
        archiveBytes += a.size;
        const now = new Date().toISOString();
        rows.push({
          id: randomUUID(),
          sipCallId: `bench-${i}`,
          participants: [],
          metadata: {},
          dtmf: [],
          state: 'finished' as const,
          captureSource: 'bench',
          createdAt: now,
          updatedAt: now,
          direction: 'outgoing' as const,
          durationMs: 60_000,
          number: '+32470999000',
          userRef: 'user:default/bench',
          otherParty: `+3247${String(1000000 + i).slice(-7)}`,
          startedAt: new Date(base + i * 120_000).toISOString(),
          storageKey: a.key,
          sha256: a.sha256,
          bytes: a.size,
          format: 'audio/ogg; codecs=opus',
        });
      }
      await store.insertFinished(rows);
    }
    const builder = new ExportPackageBuilder({
      knex,
      store,
      blobs,
      signer: createEd25519Signer(generateEd25519PrivateKeyPem()),
    });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    const result = await builder.build(
      {
        exportId: randomUUID(),
        createdAt: new Date().toISOString(),
        createdBy: 'user:default/bench',
        scope: { kind: 'search', filters: { number: '+32470999000' } },
        scopeTitle: 'Search: number=+32470999000',
        filters: { number: '+32470999000' },
        visibility: undefined,
        includeMp3: false,
      },
      'exports/bench.zip',
      async () => true,
    );
    const buildMs = performance.now() - started;
    clearInterval(sampler);
    const entries = execFileSync(
      'unzip',
      ['-Z1', path.join(dir, 'exports/bench.zip')],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    )
      .trim()
      .split('\n').length;
    if (result.done !== count)
      throw new Error(`exported ${result.done} of ${count}`);
    return {
      conversations: result.done,
      archiveBytes,
      buildMs,
      packageBytes: result.bytes,
      entries,
      rssBeforeMb: rssBefore / 1e6,
      rssPeakMb: rssPeak / 1e6,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
