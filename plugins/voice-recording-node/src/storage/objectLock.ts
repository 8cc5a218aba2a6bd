/*
 * Object Lock (WORM) of recordings in S3 (issue 20, docs/object-storage.md "Object Lock"):
 * which retention date a stored file gets.
 *
 * - the final archive of a conversation (its Opus file, or a WAV that stays the
 *   recording) is locked until the conversation's retention end (`retentionUntil`, from
 *   the retention policies, docs/retention.md) when it is known, else for the configured
 *   `objectLock.retentionDays` from now;
 * - everything else (an interim WAV that compression will replace, peak envelopes, MP3 /
 *   WAV / waveform derivations, export packages) is put with `retention: null`: it may be
 *   deleted or rebuilt at any time.
 *
 * Every process that puts a conversation's files into the configured store calls
 * `objectLockFor(store, conversation, kind)` and spreads the result into the put options:
 *
 *   await store.put(key, body, { contentType, ...objectLockFor(store, conversation, 'archive') });
 */
import type { BlobPutOptions, BlobRetention, BlobStore } from './BlobStore';
import { S3BlobStore, S3ObjectLockMode } from './S3BlobStore';

/** What a stored file is to its conversation. */
export type ArchiveBlobKind =
  /** the recording itself (Opus, or a WAV that is not going to be compressed) */
  | 'archive'
  /** a WAV that compression is going to replace */
  | 'interim'
  /** the peak envelope beside an archive (`<key>.peaks`) */
  | 'peaks'
  /** MP3, WAV, waveform derivations and export packages */
  | 'derived';

export interface ObjectLockSettings {
  mode: S3ObjectLockMode;
  retentionDays: number;
}

/**
 * The S3 store behind `store`, looking through wrappers: a wrapper exposes the store it
 * writes to as `inner` (EncryptedBlobStore) or `remote` (a staging store whose blobs are
 * uploaded to it). Undefined for local stores.
 */
export function s3StoreOf(store: BlobStore | undefined): S3BlobStore | undefined {
  const seen = new Set<unknown>();
  let s: unknown = store;
  while (s && typeof s === 'object' && !seen.has(s)) {
    if (s instanceof S3BlobStore) return s;
    seen.add(s);
    const w = s as { inner?: unknown; remote?: unknown };
    s = w.remote ?? w.inner;
  }
  return undefined;
}

/** The Object Lock configured for the S3 store behind `store` (undefined: none). */
export function objectLockOf(store: BlobStore | undefined): ObjectLockSettings | undefined {
  return s3StoreOf(store)?.objectLock;
}

function dateOf(v: string | Date | null | undefined): Date | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) {
    throw new Error(`objectLockFor: retentionUntil ${JSON.stringify(v)} is not a date`);
  }
  return d;
}

/**
 * The Object Lock part of a put's options for a file of `conversation` (see the top of
 * this file). `lock`: the store (wrappers are looked through) or its settings. Returns
 * `{}` when the store has no Object Lock (local files, a bucket without it): nothing to
 * add. A conversation whose retention end has passed already gets no retention (it is
 * due for disposal).
 */
export function objectLockFor(
  lock: BlobStore | ObjectLockSettings | undefined,
  conversation: { retentionUntil?: string | Date | null } | undefined,
  kind: ArchiveBlobKind,
  now: Date = new Date(),
): Pick<BlobPutOptions, 'retention'> {
  const settings =
    lock && 'retentionDays' in lock && 'mode' in lock ? (lock as ObjectLockSettings) : objectLockOf(lock as BlobStore | undefined);
  if (!settings) return {};
  if (kind !== 'archive') return { retention: null };
  const until = dateOf(conversation?.retentionUntil);
  if (until) {
    return until.getTime() > now.getTime() ? { retention: { mode: settings.mode, retainUntil: until } } : { retention: null };
  }
  return {
    retention: { mode: settings.mode, retainUntil: new Date(now.getTime() + settings.retentionDays * 86_400_000) },
  };
}

/** The retention `objectLockFor` gives an archive (undefined: none). */
export function archiveRetentionFor(
  lock: BlobStore | ObjectLockSettings | undefined,
  conversation: { retentionUntil?: string | Date | null } | undefined,
  now: Date = new Date(),
): BlobRetention | undefined {
  return objectLockFor(lock, conversation, 'archive', now).retention ?? undefined;
}
