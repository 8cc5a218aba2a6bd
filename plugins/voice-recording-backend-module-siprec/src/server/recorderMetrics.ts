/*
 * The recorder's metrics, through Backstage's metrics service (OpenTelemetry): what an
 * operator scrapes (docs/operations.md, "Metrics"). Nothing here runs per RTP packet:
 * the observable instruments read the recorder's own counters (SiprecServer, its
 * sessions' receivers, the registration queue) when the exporter collects, i.e. at
 * scrape time; the set-up histogram takes one value per answered call.
 */
import * as fsp from 'node:fs/promises';
import type { MetricsService } from '@backstage/backend-plugin-api/alpha';
import { QUALITY_VERDICTS } from '@mvr/plugin-voice-recording-common';
import type { RecorderConfig } from './config';
import type { SiprecServer } from './SiprecServer';
import type { RecorderUploads } from './RecorderUploads';

/** Set-up latency histogram buckets, seconds (the target is a p99 under 50 ms). */
export const SETUP_SECONDS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
/** A scrape's database probe waits this long at most. */
export const PROBE_TIMEOUT_MS = 2000;
/** The archive queue is counted up to this many (the compressor's listing). */
export const ARCHIVE_QUEUE_LIMIT = 1000;
/**
 * A read shared by the callbacks of one collection (the SDK calls them all at once):
 * one database probe and one statfs per directory per scrape; the next scrape reads again.
 */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    if (!current) {
      current = read();
      setImmediate(() => {
        current = undefined;
      });
    }
    return current;
  };
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const st = await fsp.statfs(dir);
    return st.bavail * st.bsize;
  } catch {
    return undefined; // not there (yet): nothing observed
  }
}

/**
 * Registers the recorder's instruments. `server()` is the running recorder (undefined
 * before it started or after it stopped: nothing is observed then); `onServer` is to be
 * called with each server that starts (it attaches the set-up histogram).
 */
export function registerRecorderMetrics(
  metrics: MetricsService,
  config: RecorderConfig,
  server: () => SiprecServer | undefined,
  /** with object storage: the uploads of the staged archive */
  uploads: () => RecorderUploads | undefined = () => undefined,
): { onServer(s: SiprecServer): void } {
  metrics
    .createObservableGauge('mvr_recorder_uploads_staged', {
      description:
        'Recordings staged on this recorder\'s disk waiting for their upload to object storage (voiceRecording.storage.s3 only)',
    })
    .addCallback(r => {
      const u = uploads();
      if (u) r.observe(u.status().staged);
    });
  metrics
    .createObservableGauge('mvr_recorder_uploads_oldest_seconds', {
      description:
        'Age of the oldest recording staged on this recorder\'s disk waiting for its upload (0: none; voiceRecording.storage.s3 only)',
      unit: 's',
    })
    .addCallback(r => {
      const u = uploads();
      if (u) r.observe(u.status().oldestAgeSeconds);
    });
  metrics
    .createObservableGauge('mvr_recorder_healthy', {
      description:
        'Whether the recorder takes new calls (1) or answers them 503 (0); the health endpoint and SIP OPTIONS give the same answer',
    })
    .addCallback(r => {
      const s = server();
      if (s) r.observe(s.health().ok ? 1 : 0);
    });
  metrics
    .createObservableGauge('mvr_recorder_active_calls', {
      description: 'Calls being recorded now',
    })
    .addCallback(r => {
      const s = server();
      if (s) r.observe(s.activeCalls);
    });
  metrics
    .createObservableCounter<{ code: string }>('mvr_recorder_invites', {
      description:
        'Final responses to initial INVITEs since the recorder started, by SIP status code (0: none was sent)',
    })
    .addCallback(r => {
      const s = server();
      if (!s) return;
      for (const [code, n] of s.inviteOutcomes)
        r.observe(n, { code: String(code) });
    });
  const setup = metrics.createHistogram('mvr_recorder_call_setup_seconds', {
    description: 'INVITE received to 200 OK sent, answered calls',
    unit: 's',
    advice: { explicitBucketBoundaries: SETUP_SECONDS_BUCKETS },
  });
  metrics
    .createObservableCounter('mvr_recorder_rtp_packets_received', {
      description:
        'RTP packets received on every recorded stream since the recorder started',
    })
    .addCallback(r => {
      const s = server();
      if (s) r.observe(s.packetTotals().received);
    });
  metrics
    .createObservableCounter('mvr_recorder_rtp_packets_lost', {
      description:
        'RTP packets lost (sequence numbers never received) on every recorded stream since the recorder started',
    })
    .addCallback(r => {
      const s = server();
      if (s) r.observe(s.packetTotals().lost);
    });
  metrics
    .createObservableGauge('mvr_recorder_journal_queue', {
      description:
        'Ended calls waiting to be registered in the database (their journals are kept)',
    })
    .addCallback(r => {
      const s = server();
      if (s) r.observe(s.registrations.stats.pendingRegistrations);
    });
  metrics
    .createObservableGauge('mvr_recorder_refusal_queue', {
      description:
        'Refused-session records waiting to be written to the database',
    })
    .addCallback(r => {
      const s = server();
      if (s) r.observe(s.registrations.stats.pendingRefusals);
    });
  const probe = shared(async () => {
    const s = server();
    return s
      ? s.probeDatabase({
          timeoutMs: PROBE_TIMEOUT_MS,
          archiveLimit: ARCHIVE_QUEUE_LIMIT,
        })
      : undefined;
  });
  metrics
    .createObservableGauge('mvr_recorder_archive_queue', {
      description: `Archives of this recorder waiting for background Opus compression (counted up to ${ARCHIVE_QUEUE_LIMIT}; absent without background compression or while the database is down)`,
    })
    .addCallback(async r => {
      const p = await probe();
      if (p?.archiveQueue !== undefined) r.observe(p.archiveQueue);
    });
  metrics
    .createObservableGauge('mvr_recorder_database_up', {
      description: `Whether a database read made at scrape time answered within ${PROBE_TIMEOUT_MS} ms (1) or not (0)`,
    })
    .addCallback(async r => {
      const p = await probe();
      if (p) r.observe(p.up ? 1 : 0);
    });
  metrics
    .createObservableGauge('mvr_recorder_database_probe_seconds', {
      description: 'How long the scrape-time database read took',
      unit: 's',
    })
    .addCallback(async r => {
      const p = await probe();
      if (p) r.observe(p.seconds);
    });
  const disks = shared(async () => ({
    journal: await freeBytes(config.storage.journalDir),
    archive: await freeBytes(config.storage.archiveDir),
  }));
  metrics
    .createObservableGauge<{ directory: string }>(
      'mvr_recorder_disk_free_bytes',
      {
        description:
          'Free space (for unprivileged users) of the journal and archive directories',
        unit: 'By',
      },
    )
    .addCallback(async r => {
      if (!server()) return;
      const d = await disks();
      if (d.journal !== undefined)
        r.observe(d.journal, { directory: 'journal' });
      if (d.archive !== undefined)
        r.observe(d.archive, { directory: 'archive' });
    });
  metrics
    .createObservableGauge('mvr_recorder_disk_min_free_bytes', {
      description:
        'The free space below which new calls are refused with 503 (storage.minFreeMegabytes)',
      unit: 'By',
    })
    .addCallback(r => {
      if (server()) r.observe(config.storage.minFreeBytes);
    });
  metrics
    .createObservableCounter<{ verdict: string }>(
      'mvr_recorder_quality_verdicts',
      {
        description:
          'Quality check verdicts of the calls this recorder archived since it started, by verdict',
      },
    )
    .addCallback(r => {
      const s = server();
      if (!s) return;
      for (const v of QUALITY_VERDICTS)
        r.observe(s.qualityVerdicts[v], { verdict: v });
    });
  return {
    onServer(s) {
      s.setupLatency.onRecord(ms => setup.record(ms / 1000));
    },
  };
}
