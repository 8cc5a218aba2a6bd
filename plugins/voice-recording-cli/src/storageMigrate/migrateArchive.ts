/*
 * Moving a local recording archive into S3 (issue 20; docs/deployment.md "Moving an
 * archive to S3"): every file under the local storage root is copied to the same key in
 * the bucket, byte for byte (files encrypted at rest stay encrypted with the same keys),
 * verified, and deleted locally only when asked and verified.
 *
 * Per file:
 *  1. the local bytes are hashed; a conversation's archive is also checked against the
 *     SHA-256 and size the conversation recorded (through the encryption keys when it is
 *     encrypted at rest): a file that does not match is not copied (an integrity problem
 *     to look at, not to spread);
 *  2. an object already under the key with the same bytes (size and SHA-256 of a re-read)
 *     is skipped: a rerun after an interruption carries on where it stopped; an object
 *     with other bytes is a conflict, left alone and reported;
 *  3. the put streams the local file; the store checks every part's Content-MD5 and the
 *     object's ETag, and the SHA-256 of what was sent must be the local file's;
 *  4. an archive is read back from the bucket (through the keys) and must give the
 *     conversation's SHA-256;
 *  5. with `deleteLocal`, only then is the local file deleted.
 *
 * Object Lock: an archive gets its conversation's retention end (objectLockFor), and an
 * S3 legal hold when the conversation is held in the portal; everything else none.
 * An interrupted run leaves complete objects or none (S3 puts are atomic; an unfinished
 * multipart upload is aborted, or removed by the bucket's lifecycle rule after a kill),
 * local files that are all still there unless verified, and nothing in the database.
 */
import { createHash } from 'node:crypto';
import {
  ArchiveBlobKind,
  BlobStore,
  LocalFileBlobStore,
  objectLockFor,
  ObjectLockSettings,
  S3BlobStore,
} from '@mvr/plugin-voice-recording-node';

/** What the database says about a key that is a conversation's archive. */
export interface ArchiveKeyInfo {
  conversationId: string;
  kind: Extract<ArchiveBlobKind, 'archive' | 'interim'>;
  /** SHA-256 and size of the recording as the conversation recorded them (plaintext) */
  sha256?: string;
  bytes?: number;
  retentionUntil?: string;
  held: boolean;
}

export interface MigrateOptions {
  source: LocalFileBlobStore;
  target: S3BlobStore;
  /** reads a store's plaintext (EncryptedBlobStore over it with the configured keys); identity without encryption */
  plaintext: (store: BlobStore) => BlobStore;
  /** archive keys among `keys` → what the conversations say about them */
  lookup: (keys: string[]) => Promise<Map<string, ArchiveKeyInfo>>;
  /** the bucket's Object Lock settings (undefined: none) */
  objectLock?: ObjectLockSettings;
  dryRun?: boolean;
  deleteLocal?: boolean;
  /** files at once (default 4) */
  concurrency?: number;
  /** only keys starting with this (default all) */
  prefix?: string;
  onProgress?: (report: MigrateReport) => void;
  /** test seam: after a file's object is verified, before its local copy is deleted */
  afterVerified?: (key: string) => Promise<void> | void;
  now?: () => Date;
}

export interface MigrateReport {
  /** files under the local root (with the prefix) */
  total: number;
  done: number;
  /** copied and verified (dry run: would be copied) */
  copied: number;
  /** already in the bucket with the same bytes */
  skipped: number;
  /** local files deleted after verification */
  deletedLocal: number;
  bytesCopied: number;
  /** archives of conversations among the files */
  archives: number;
  failed: Array<{ key: string; error: string }>;
}

async function hashOf(stream: AsyncIterable<Buffer | Uint8Array>) {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha256: h.digest('hex'), size };
}

/** archive candidates: not peaks, derived files, export packages nor key checks */
function mayBeArchive(key: string) {
  return !(
    key.endsWith('.peaks') ||
    key.startsWith('derived/') ||
    key.startsWith('exports/') ||
    key.startsWith('_')
  );
}

export async function migrateArchive(
  options: MigrateOptions,
): Promise<MigrateReport> {
  const { source, target } = options;
  const now = options.now ?? (() => new Date());
  const keys = await source.list(options.prefix ?? '');
  const report: MigrateReport = {
    total: keys.length,
    done: 0,
    copied: 0,
    skipped: 0,
    deletedLocal: 0,
    bytesCopied: 0,
    archives: 0,
    failed: [],
  };
  const localPlain = options.plaintext(source);
  const remotePlain = options.plaintext(target);
  const BATCH = 200;
  for (let i = 0; i < keys.length; i += BATCH) {
    const batch = keys.slice(i, i + BATCH);
    const info = await options.lookup(batch.filter(mayBeArchive));
    let next = 0;
    const worker = async () => {
      while (next < batch.length) {
        const key = batch[next++];
        try {
          await migrateOne(key, info.get(key));
        } catch (e) {
          report.failed.push({
            key,
            error: (e as Error)?.message ?? String(e),
          });
        }
        report.done++;
        options.onProgress?.(report);
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker),
    );
  }
  return report;

  async function migrateOne(key: string, archive: ArchiveKeyInfo | undefined) {
    const stat = await source.stat(key);
    if (!stat) return; // gone since the listing (a disposal): nothing to move
    if (archive) report.archives++;
    // 1. the local bytes, and an archive against what its conversation recorded
    const local = await hashOf(await source.get(key));
    if (archive?.sha256) {
      const plain =
        localPlain === source ? local : await hashOf(await localPlain.get(key));
      if (
        plain.sha256 !== archive.sha256 ||
        (archive.bytes !== undefined && plain.size !== archive.bytes)
      )
        throw new Error(
          `the local file does not match conversation ${archive.conversationId} (SHA-256 ${plain.sha256}, ${plain.size} bytes; recorded ${archive.sha256}, ${archive.bytes ?? '?'} bytes): not copied`,
        );
    }
    // 2. already there?
    const existing = await target.stat(key);
    if (existing) {
      const remote =
        existing.size === local.size
          ? await hashOf(await target.get(key))
          : { sha256: '', size: existing.size };
      if (remote.sha256 !== local.sha256)
        throw new Error(
          `${target.location(key)} exists with other bytes (${remote.size} bytes${
            remote.sha256 ? `, SHA-256 ${remote.sha256}` : ''
          }; local ${local.size} bytes, SHA-256 ${local.sha256}): left alone`,
        );
      report.skipped++;
      await verifiedDone(key);
      return;
    }
    if (options.dryRun) {
      report.copied++;
      report.bytesCopied += local.size;
      return;
    }
    // 3. copy, with the archive's lock
    const lock = objectLockFor(
      options.objectLock,
      archive ? { retentionUntil: archive.retentionUntil } : undefined,
      archive?.kind ?? 'derived',
      now(),
    );
    const put = await target.put(key, await source.get(key), {
      contentType: stat.contentType ?? 'application/octet-stream',
      ...lock,
      ...(archive?.held && options.objectLock ? { legalHold: true } : {}),
    });
    if (put.sha256 !== local.sha256 || put.size !== local.size)
      throw new Error(
        `the local file changed while it was copied (sent ${put.size} bytes, SHA-256 ${put.sha256}; read before ${local.size} bytes, ${local.sha256}): copy again`,
      );
    // 4. an archive read back through the keys gives the recorded hash
    if (archive?.sha256) {
      const back = await hashOf(await remotePlain.get(key));
      if (back.sha256 !== archive.sha256)
        throw new Error(
          `${target.location(key)} read back gives SHA-256 ${back.sha256}, not the recorded ${archive.sha256}: local file kept`,
        );
    }
    report.copied++;
    report.bytesCopied += local.size;
    await verifiedDone(key);
  }

  /** 5. the object is verified: the local copy may go */
  async function verifiedDone(key: string) {
    await options.afterVerified?.(key);
    if (options.deleteLocal && !options.dryRun) {
      if (await source.delete(key)) report.deletedLocal++;
    }
  }
}
