import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  generateEd25519PrivateKeyPem,
  keyIdOf,
  verifyEd25519,
} from '@mvr/plugin-voice-recording-node';
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { GENERATED_SIGNING_KEY_FILE, loadRecordingSigner } from './signingKey';

const logger = mockServices.logger.mock();
let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), 'mvr-signing-key-'));
  jest.clearAllMocks();
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const config = (voiceRecording: object) => new ConfigReader({ voiceRecording });

describe('loadRecordingSigner', () => {
  it('takes the PEM from voiceRecording.signing.privateKey', async () => {
    const pem = generateEd25519PrivateKeyPem();
    const signer = await loadRecordingSigner(
      config({ signing: { privateKey: pem } }),
      logger,
    );
    const sig = signer.sign('hello');
    expect(verifyEd25519(signer.publicKeyPem, 'hello', sig)).toBe(true);
    expect(signer.keyId).toBe(keyIdOf(signer.publicKeyPem));
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('reads voiceRecording.signing.privateKeyFile', async () => {
    const pem = generateEd25519PrivateKeyPem();
    const file = nodePath.join(dir, 'key.pem');
    await fs.writeFile(file, pem);
    const a = await loadRecordingSigner(
      config({ signing: { privateKeyFile: file } }),
      logger,
    );
    const b = await loadRecordingSigner(
      config({ signing: { privateKey: pem } }),
      logger,
    );
    expect(a.keyId).toBe(b.keyId);
  });

  it('refuses a missing file, a non-Ed25519 key and both settings, naming the key', async () => {
    await expect(
      loadRecordingSigner(
        config({ signing: { privateKeyFile: nodePath.join(dir, 'nope.pem') } }),
        logger,
      ),
    ).rejects.toThrow(
      /voiceRecording\.signing\.privateKeyFile: cannot read .*nope\.pem/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    await expect(
      loadRecordingSigner(config({ signing: { privateKey: rsa } }), logger),
    ).rejects.toThrow(
      /voiceRecording\.signing\.privateKey: The signing key must be an Ed25519 key, not rsa/,
    );
    await expect(
      loadRecordingSigner(
        config({ signing: { privateKey: 'garbage' } }),
        logger,
      ),
    ).rejects.toThrow(
      /voiceRecording\.signing\.privateKey: The signing key is not a readable PEM private key/,
    );
    await expect(
      loadRecordingSigner(
        config({ signing: { privateKey: rsa, privateKeyFile: 'x' } }),
        logger,
      ),
    ).rejects.toThrow(/set privateKey or privateKeyFile, not both/);
  });

  it('without a key: generates one beside the storage directory (loudly), then reuses it', async () => {
    const storage = nodePath.join(dir, 'data', 'recordings');
    const c = config({ storage: { local: { directory: storage } } });
    const first = await loadRecordingSigner(c, logger);
    const file = nodePath.join(dir, 'data', GENERATED_SIGNING_KEY_FILE);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/NO SIGNING KEY CONFIGURED.*Production must set/),
    );
    const again = await loadRecordingSigner(c, logger);
    expect(again.keyId).toBe(first.keyId);
    // a corrupt generated key is an error naming its file, never silently replaced
    await fs.writeFile(file, 'broken');
    await expect(loadRecordingSigner(c, logger)).rejects.toThrow(
      new RegExp(
        `generated signing key ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`,
      ),
    );
  });
});
