/*
 * The installation's Ed25519 signing key (docs/integrity.md "The signing key").
 *
 *   voiceRecording.signing.privateKey      PKCS#8 PEM (secret), or
 *   voiceRecording.signing.privateKeyFile  a file holding it
 *
 * Neither set (development, the demo): a key is generated on the first start into
 * `<data directory>/voice-recording-signing-key.pem` (beside the storage directory,
 * mode 0600) and reused afterwards; a warning says production must configure its own.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
  RecordingSigner,
} from '@mvr/plugin-voice-recording-node';
import { promises as fs } from 'node:fs';
import nodePath from 'node:path';
import { DEFAULT_STORAGE_DIRECTORY } from '../config';

/** File name of the generated key, in the storage directory's parent. */
export const GENERATED_SIGNING_KEY_FILE = 'voice-recording-signing-key.pem';

/** Where the generated key lives for a storage directory: beside it. */
export function generatedSigningKeyPath(storageDirectory: string): string {
  return nodePath.join(
    nodePath.dirname(nodePath.resolve(storageDirectory)),
    GENERATED_SIGNING_KEY_FILE,
  );
}

function withKey(what: string, make: () => RecordingSigner): RecordingSigner {
  try {
    return make();
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

/**
 * The signer of recordings, audit chain heads and export manifests. Throws an error
 * naming the configuration key (or file) when the key cannot be used.
 */
export async function loadRecordingSigner(
  config: Config,
  logger: LoggerService,
): Promise<RecordingSigner> {
  const c = config.getOptionalConfig('voiceRecording.signing');
  const pem = c?.getOptionalString('privateKey');
  const file = c?.getOptionalString('privateKeyFile');
  if (pem && file)
    throw new Error(
      'voiceRecording.signing: set privateKey or privateKeyFile, not both',
    );
  if (pem) {
    const signer = withKey('voiceRecording.signing.privateKey', () =>
      createEd25519Signer(pem),
    );
    logger.info(`voice-recording signing key ${signer.keyId} (from config)`);
    return signer;
  }
  if (file) {
    const path = nodePath.resolve(file);
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (e) {
      throw new Error(
        `voiceRecording.signing.privateKeyFile: cannot read ${path}: ${
          (e as Error).message
        }`,
      );
    }
    const signer = withKey(
      `voiceRecording.signing.privateKeyFile (${path})`,
      () => createEd25519Signer(text),
    );
    logger.info(`voice-recording signing key ${signer.keyId} (from ${path})`);
    return signer;
  }

  const storageDirectory =
    config.getOptionalString('voiceRecording.storage.local.directory') ??
    DEFAULT_STORAGE_DIRECTORY;
  const path = generatedSigningKeyPath(storageDirectory);
  let text: string | undefined;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(
        `voice-recording signing key: cannot read the generated key ${path}: ${
          (e as Error).message
        }`,
      );
  }
  if (text === undefined) {
    await fs.mkdir(nodePath.dirname(path), { recursive: true });
    const generated = generateEd25519PrivateKeyPem();
    // written whole to a temporary file, then linked into place: a crash never leaves
    // half a key, and of two instances starting together the first link wins
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, generated, { mode: 0o600, flag: 'wx' });
    try {
      await fs.link(tmp, path);
      text = generated;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      text = await fs.readFile(path, 'utf8');
    } finally {
      await fs.rm(tmp, { force: true });
    }
    const signer = withKey(`generated signing key ${path}`, () =>
      createEd25519Signer(text!),
    );
    logger.warn(
      `voice-recording: NO SIGNING KEY CONFIGURED. Generated Ed25519 key ${signer.keyId} into ${path}. ` +
        'Production must set voiceRecording.signing.privateKey or privateKeyFile (docs/integrity.md): ' +
        'recordings signed with a key that lives beside the data prove little.',
    );
    return signer;
  }
  const signer = withKey(`generated signing key ${path}`, () =>
    createEd25519Signer(text!),
  );
  logger.warn(
    `voice-recording: no signing key configured, using the generated key ${signer.keyId} from ${path} ` +
      '(production must set voiceRecording.signing.privateKey or privateKeyFile)',
  );
  return signer;
}
