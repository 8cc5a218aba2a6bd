/*
 * `mvr rewrap-keys`: key rotation for the recording archive's encryption at rest
 * (docs/encryption.md, "Rotating keys"). Re-wraps the data keys of stored files with the
 * active key-encryption key, rewriting only each file's 512-byte header, never the audio.
 * Resumable: a rerun skips files already under the active key.
 */
import {
  createBlobStoreFromConfig,
  EncryptedBlobStore,
  readEncryptionConfig,
  rewrapDataKeys,
  RewrapReport,
} from '@mvr/plugin-voice-recording-node';
import type { CliCommand } from '../index';
import type { CliIo } from '../io';
import {
  BackendConfigArgs,
  loadExistingEncryptionKeys,
  openBackendConfig,
  parseBackendConfigArgs,
} from './backendConfig';

const USAGE =
  '--config <app-config.yaml> [--config <more.yaml>]... [--paths-from <dir>] [--from <key id>] [--prefix <key prefix>] [--dry-run]';

interface Args extends BackendConfigArgs {
  from?: string;
}

function parse(args: string[]): Args | string {
  const out: Args = { configs: [], dryRun: false };
  return parseBackendConfigArgs(args, out, (flag, value) => {
    if (flag !== '--from') return false;
    out.from = value();
    return true;
  });
}

function summary(r: RewrapReport, dryRun: boolean): string {
  const lines = [
    `active key: ${r.activeKeyId}`,
    `files scanned: ${r.scanned}`,
    `${dryRun ? 'would re-wrap' : 're-wrapped'}: ${r.rewrapped}`,
    `already under the active key: ${r.alreadyActive}`,
    `plain (legacy, not encrypted): ${r.plain}`,
    `left under another key (--from): ${r.skipped}`,
    `failed: ${r.failed.length}`,
  ];
  for (const [id, n] of Object.entries(r.remainingByKeyId)) lines.push(`still under key ${id}: ${n}`);
  for (const id of r.retiredKeyIds) {
    lines.push(`key ${id} is no longer used by any file: its key-check blob was removed; it can be taken out of the configuration`);
  }
  return `${lines.join('\n')}\n`;
}

export const rewrapKeysCommand: CliCommand = {
  usage: USAGE,
  description:
    're-wraps the data keys of the encrypted recordings with the active key (voiceRecording.encryption.activeKeyId), rewriting only file headers; resumable (docs/encryption.md)',
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    if (typeof parsed === 'string') {
      io.err(`mvr rewrap-keys: ${parsed}\nusage: mvr rewrap-keys ${USAGE}\n`);
      return 2;
    }
    // relative paths in the config (storage directory, key files) are the backend's:
    // resolved from its working directory (packages/backend in this repository)
    const { config, close } = await openBackendConfig(io, parsed);
    try {
      const enc = readEncryptionConfig(config);
      if (!enc || enc.keys.length === 0) {
        io.err('mvr rewrap-keys: no keys in voiceRecording.encryption.keys\n');
        return 2;
      }
      // never create a key here: a missing key file is an error
      const keys = loadExistingEncryptionKeys(enc);
      const { store: inner, description } = createBlobStoreFromConfig(config);
      const store = new EncryptedBlobStore(inner, keys, { segmentSize: enc.segmentSize });
      io.out(`storage: ${description}\n`);
      // the start-up check: every key opens its check blob; the active one gets its own
      // (not in a dry run, which writes nothing)
      await store.verifyKeys({ writeMissing: !parsed.dryRun });
      let last = Date.now();
      const report = await rewrapDataKeys(store, {
        fromKeyId: parsed.from,
        prefix: parsed.prefix,
        dryRun: parsed.dryRun,
        onProgress: r => {
          if (Date.now() - last > 2000) {
            last = Date.now();
            io.err(`... ${r.scanned} files, ${r.rewrapped} re-wrapped\n`);
          }
        },
      });
      io.out(summary(report, parsed.dryRun));
      for (const f of report.failed) io.err(`FAILED ${f.key}: ${f.error}\n`);
      return report.failed.length > 0 ? 1 : 0;
    } catch (e) {
      io.err(`mvr rewrap-keys: ${(e as Error).message}\n`);
      return 1;
    } finally {
      await close();
    }
  },
};
