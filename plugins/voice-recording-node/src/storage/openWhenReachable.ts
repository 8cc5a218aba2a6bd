/*
 * Opening the recording storage when the object store may be down at start (issue 20):
 * a recorder must start and take calls during an S3 outage (its archives are staged on
 * the local disk), but `openRecordingBlobStore` checks the encryption keys against the
 * store (docs/encryption.md, "Wrong or missing keys"). Here that check is deferred: the
 * store is opened with the configured keys at once and the check runs as soon as the
 * store answers (every `retryMs` until then). A check that then fails (a wrong key, an
 * encrypted archive without keys) is logged as an error naming the key; recordings made
 * meanwhile are encrypted with the configured key (readable with it), never lost.
 */
import { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import { BlobStore, StorageUnavailableError } from './BlobStore';
import { assertNoEncryptedArchive, EncryptedBlobStore } from './EncryptedBlobStore';
import { loadEncryptionKeys, openRecordingBlobStore, readEncryptionConfig } from './encryptionConfig';

function isUnavailable(e: unknown): e is StorageUnavailableError {
  return e instanceof StorageUnavailableError || (e as Error | undefined)?.name === 'StorageUnavailableError';
}

export interface DeferredStorageCheck {
  /** resolves once the check ran against the store (passed, or failed and was logged) */
  readonly done: Promise<'passed' | 'failed' | 'stopped'>;
  /** stops retrying (shutdown) */
  stop(): void;
}

/**
 * `openRecordingBlobStore`, except that a store that does not answer at start
 * (StorageUnavailableError) does not stop the start: see the top of this file. Any other
 * failure (a wrong key while the store answers, a bad key file) is thrown as before.
 */
export async function openRecordingBlobStoreWhenReachable(
  config: RootConfigService,
  inner: BlobStore,
  options: { logger: LoggerService; where: string; retryMs?: number },
): Promise<{ store: BlobStore; deferred?: DeferredStorageCheck }> {
  const { logger, where } = options;
  try {
    return { store: await openRecordingBlobStore(config, inner, { logger, where }) };
  } catch (e) {
    if (!isUnavailable(e)) throw e;
    logger.warn(
      `voice-recording ${where}: the storage does not answer at start (${e.message}); starting without it: ` +
        'the encryption key check runs as soon as it answers',
    );
  }
  const cfg = readEncryptionConfig(config);
  const encrypted = cfg && (cfg.keys.length > 0 || cfg.enabled) ? cfg : undefined;
  const store = encrypted
    ? new EncryptedBlobStore(inner, loadEncryptionKeys(encrypted, logger), {
        segmentSize: encrypted.segmentSize,
        encryptNewBlobs: encrypted.enabled,
      })
    : inner;
  const retryMs = options.retryMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let finish!: (outcome: 'passed' | 'failed' | 'stopped') => void;
  const done = new Promise<'passed' | 'failed' | 'stopped'>(resolve => {
    finish = resolve;
  });
  const attempt = async () => {
    timer = undefined;
    if (stopped) return;
    try {
      if (store instanceof EncryptedBlobStore) {
        const { verified, created } = await store.verifyKeys();
        logger.info(
          `voice-recording ${where}: the storage answers again; encryption keys checked (${verified.join(', ') || 'none'}${
            created.length ? `; first use of ${created.join(', ')}` : ''
          })`,
        );
      } else {
        await assertNoEncryptedArchive(inner);
        logger.info(`voice-recording ${where}: the storage answers again; it holds no encrypted files (encryption at rest is OFF)`);
      }
      finish('passed');
    } catch (e) {
      if (isUnavailable(e) && !stopped) {
        timer = setTimeout(() => void attempt(), retryMs);
        timer.unref();
        return;
      }
      if (!stopped) {
        logger.error(
          `voice-recording ${where}: ${(e as Error).message}; the recordings made since the start are ${
            store instanceof EncryptedBlobStore ? 'encrypted with the configured key' : 'NOT encrypted'
          }: fix voiceRecording.encryption and restart`,
        );
      }
      finish(stopped ? 'stopped' : 'failed');
    }
  };
  timer = setTimeout(() => void attempt(), retryMs);
  timer.unref();
  return {
    store,
    deferred: {
      done,
      stop() {
        stopped = true;
        if (timer) clearTimeout(timer);
        timer = undefined;
        finish('stopped');
      },
    },
  };
}
