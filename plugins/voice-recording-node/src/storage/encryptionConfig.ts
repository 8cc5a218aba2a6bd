/*
 * `voiceRecording.encryption` (docs/encryption.md): the portal and the recorder open the
 * recording archive through openRecordingBlobStore, so both encrypt with the same keys.
 */
import { LoggerService, RootConfigService } from '@backstage/backend-plugin-api';
import { BlobStore } from './BlobStore';
import { assertNoEncryptedArchive, DEFAULT_SEGMENT_SIZE, EncryptedBlobStore } from './EncryptedBlobStore';
import {
  decodeKey,
  EncryptionKeyConfig,
  EncryptionKeyError,
  loadKeyFile,
  StaticKeyEncryptionKeys,
} from './KeyEncryptionKeys';

export interface RecordingEncryptionConfig {
  /** encrypt new files; false keeps existing encrypted files readable with the keys */
  enabled: boolean;
  activeKeyId?: string;
  keys: EncryptionKeyConfig[];
  segmentSize: number;
}

/** undefined when `voiceRecording.encryption` is absent */
export function readEncryptionConfig(config: RootConfigService): RecordingEncryptionConfig | undefined {
  const c = config.getOptionalConfig('voiceRecording.encryption');
  if (!c) return undefined;
  const keys = (c.getOptionalConfigArray('keys') ?? []).map((k, i) => {
    const id = k.getString('id');
    const key = k.getOptionalString('key');
    const keyFile = k.getOptionalString('keyFile');
    if ((key === undefined) === (keyFile === undefined)) {
      throw new EncryptionKeyError(
        `voiceRecording.encryption.keys[${i}] (${JSON.stringify(id)}) needs exactly one of key or keyFile`,
        id,
      );
    }
    return { id, key, keyFile, createIfMissing: k.getOptionalBoolean('createIfMissing') ?? false };
  });
  return {
    enabled: c.getOptionalBoolean('enabled') ?? keys.length > 0,
    activeKeyId: c.getOptionalString('activeKeyId'),
    keys,
    segmentSize: c.getOptionalNumber('segmentSize') ?? DEFAULT_SEGMENT_SIZE,
  };
}

/** Loads the configured keys (creating a demo key file when allowed). */
export function loadEncryptionKeys(
  cfg: RecordingEncryptionConfig,
  logger?: LoggerService,
): StaticKeyEncryptionKeys {
  if (cfg.keys.length === 0) {
    throw new EncryptionKeyError('voiceRecording.encryption.enabled is true but no keys are configured (voiceRecording.encryption.keys)', cfg.activeKeyId);
  }
  const activeKeyId = cfg.activeKeyId ?? (cfg.keys.length === 1 ? cfg.keys[0].id : undefined);
  if (!activeKeyId) {
    throw new EncryptionKeyError('voiceRecording.encryption.activeKeyId is required when several keys are configured', undefined);
  }
  const loaded: Array<[string, Buffer]> = cfg.keys.map(k => {
    if (k.key !== undefined) return [k.id, decodeKey(k.id, Buffer.from(k.key, 'utf8'), 'voiceRecording.encryption.keys[].key')];
    const { key, created } = loadKeyFile(k.id, k.keyFile!, k.createIfMissing ?? false);
    if (created) {
      logger?.warn(
        `!!! voice-recording encryption: created a NEW key ${JSON.stringify(k.id)} in ${k.keyFile}, next to the recordings. ` +
          'That is for a demo only: in production keep the key elsewhere (a secret store, a KMS) and back it up; ' +
          'without it the recordings cannot be read (docs/encryption.md) !!!',
      );
    }
    return [k.id, key];
  });
  return new StaticKeyEncryptionKeys(loaded, activeKeyId);
}

/**
 * The recording archive on `inner`, encrypted as configured: an EncryptedBlobStore when
 * keys are configured (after the start-up key check), else `inner` itself after checking
 * that it holds no encrypted files. Throws EncryptionKeyError naming the key id.
 */
export async function openRecordingBlobStore(
  config: RootConfigService,
  inner: BlobStore,
  options: { logger?: LoggerService; where?: string } = {},
): Promise<BlobStore> {
  const cfg = readEncryptionConfig(config);
  const where = options.where ?? 'recording storage';
  if (!cfg || (cfg.keys.length === 0 && !cfg.enabled)) {
    await assertNoEncryptedArchive(inner);
    options.logger?.warn(`voice-recording ${where}: encryption at rest is OFF (voiceRecording.encryption)`);
    return inner;
  }
  const keys = loadEncryptionKeys(cfg, options.logger);
  const store = new EncryptedBlobStore(inner, keys, { segmentSize: cfg.segmentSize, encryptNewBlobs: cfg.enabled });
  const { verified, created } = await store.verifyKeys();
  options.logger?.info(
    `voice-recording ${where}: encryption at rest ${cfg.enabled ? `ON, new files with key ${JSON.stringify(keys.activeKeyId)}` : 'OFF for new files'}` +
      ` (keys ${keys.keyIds.join(', ')}; checked ${verified.join(', ') || 'none'}${created.length ? `; first use of ${created.join(', ')}` : ''})`,
  );
  return store;
}
