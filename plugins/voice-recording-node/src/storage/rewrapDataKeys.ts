/*
 * Key rotation (docs/encryption.md, "Rotating keys"): re-wraps the data keys of stored
 * files with the active key-encryption key, rewriting only each file's header, never
 * the audio. Resumable: a file already under the active key is skipped, so a rerun after
 * a crash continues where the last one stopped.
 */
import { EncryptedBlobStore, KEY_CHECK_PREFIX } from './EncryptedBlobStore';

export interface RewrapOptions {
  /** only files wrapped by this key id (default: every key id but the active one) */
  fromKeyId?: string;
  /** only keys under this prefix (default: the whole store) */
  prefix?: string;
  /** count what would change, change nothing */
  dryRun?: boolean;
  /** called after each file */
  onProgress?: (report: RewrapReport) => void;
}

export interface RewrapReport {
  activeKeyId: string;
  /** files looked at (key-check blobs excluded) */
  scanned: number;
  /** files whose data key was re-wrapped with the active key (or would be, dry run) */
  rewrapped: number;
  /** files already under the active key */
  alreadyActive: number;
  /** plain (legacy) files: nothing to re-wrap */
  plain: number;
  /** files under another key than `fromKeyId`, left alone */
  skipped: number;
  /** files (or their key) that could not be re-wrapped */
  failed: Array<{ key: string; error: string }>;
  /** files still wrapped by each key id other than the active one, after the run */
  remainingByKeyId: Record<string, number>;
  /**
   * key ids no file uses any more: their key-check blob was removed, so the key can be
   * taken out of the configuration (a full run without failures only)
   */
  retiredKeyIds: string[];
}

export async function rewrapDataKeys(store: EncryptedBlobStore, options: RewrapOptions = {}): Promise<RewrapReport> {
  const report: RewrapReport = {
    activeKeyId: store.keys.activeKeyId,
    scanned: 0,
    rewrapped: 0,
    alreadyActive: 0,
    plain: 0,
    skipped: 0,
    failed: [],
    remainingByKeyId: {},
    retiredKeyIds: [],
  };
  const remain = (id: string) => {
    report.remainingByKeyId[id] = (report.remainingByKeyId[id] ?? 0) + 1;
  };
  const keys = (await store.inner.list(options.prefix ?? '')).filter(k => !k.startsWith('_encryption/'));
  for (const key of keys) {
    let env;
    try {
      env = await store.envelope(key);
    } catch (e) {
      report.failed.push({ key, error: (e as Error).message });
      continue;
    }
    if (!env) continue; // deleted meanwhile
    report.scanned++;
    if (!env.encrypted) {
      report.plain++;
    } else if (env.header.keyId === store.keys.activeKeyId) {
      report.alreadyActive++;
    } else if (options.fromKeyId && env.header.keyId !== options.fromKeyId) {
      report.skipped++;
      remain(env.header.keyId);
    } else if (options.dryRun) {
      report.rewrapped++;
      remain(env.header.keyId);
    } else {
      try {
        await store.rewrapBlob(key);
        report.rewrapped++;
      } catch (e) {
        report.failed.push({ key, error: (e as Error).message });
        remain(env.header.keyId);
      }
    }
    options.onProgress?.(report);
  }
  if (!options.dryRun && !options.prefix && report.failed.length === 0) {
    const checks = (await store.inner.list(KEY_CHECK_PREFIX)).map(k => k.slice(KEY_CHECK_PREFIX.length));
    for (const id of checks) {
      if (id !== store.keys.activeKeyId && !report.remainingByKeyId[id]) {
        await store.inner.delete(`${KEY_CHECK_PREFIX}${id}`);
        report.retiredKeyIds.push(id);
      }
    }
  }
  return report;
}
