/*
 * `mvr storage-migrate`: moves a single-machine install's local recording archive into
 * the S3 bucket its configuration now names (issue 20; docs/deployment.md "Moving an
 * archive to S3", src/storageMigrate/migrateArchive.ts for what is verified). Reads the
 * backend's own configuration: the bucket (`voiceRecording.storage.s3`), the encryption
 * keys, and the database (`backend.database`) for the conversations' hashes, retention
 * ends and legal holds. Writes nothing to the database.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { DatabaseManager } from '@backstage/backend-defaults/database';
import {
  BlobStore,
  DEFAULT_LOCAL_BLOB_DIRECTORY,
  EncryptedBlobStore,
  LocalFileBlobStore,
  readEncryptionConfig,
  readS3BlobStoreOptions,
  S3BlobStore,
} from '@mvr/plugin-voice-recording-node';
import type { CliCommand } from '../index';
import type { CliIo } from '../io';
import {
  BackendConfigArgs,
  loadExistingEncryptionKeys,
  openBackendConfig,
  parseBackendConfigArgs,
} from './backendConfig';
import {
  ArchiveKeyInfo,
  migrateArchive,
  MigrateReport,
} from '../storageMigrate/migrateArchive';

const USAGE =
  '--config <app-config.yaml> [--config <more.yaml>]... [--from <local directory>] [--paths-from <dir>] [--prefix <key prefix>] [--concurrency <n>] [--delete-local] [--dry-run]';

interface Args extends BackendConfigArgs {
  from?: string;
  concurrency: number;
  deleteLocal: boolean;
}

function parse(args: string[]): Args | string {
  const out: Args = {
    configs: [],
    concurrency: 4,
    deleteLocal: false,
    dryRun: false,
  };
  const parsed = parseBackendConfigArgs(args, out, (flag, value) => {
    if (flag === '--from') out.from = value();
    else if (flag === '--concurrency') {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 64)
        return `--concurrency must be a whole number from 1 to 64, not ${JSON.stringify(v)}`;
      out.concurrency = n;
    } else if (flag === '--delete-local') out.deleteLocal = true;
    else return false;
    return true;
  });
  if (typeof parsed === 'string') return parsed;
  if (out.deleteLocal && out.dryRun)
    return '--delete-local and --dry-run exclude each other';
  return out;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function summary(r: MigrateReport, args: Args): string {
  const lines = [
    `files: ${r.total} (${r.archives} conversation archives)`,
    `${args.dryRun ? 'would copy' : 'copied and verified'}: ${r.copied} (${mib(r.bytesCopied)})`,
    `already in the bucket with the same bytes: ${r.skipped}`,
    ...(args.deleteLocal ? [`local files deleted after verification: ${r.deletedLocal}`] : []),
    `failed: ${r.failed.length}`,
  ];
  if (!args.deleteLocal && !args.dryRun && r.failed.length === 0)
    lines.push('local files kept: rerun with --delete-local to remove them once you have switched the backend to S3');
  return `${lines.join('\n')}\n`;
}

/** The conversations' view of archive keys, from the plugin's database (read only). */
function archiveLookup(db: any) {
  const HELD = `EXISTS (SELECT 1 FROM vr_conversation_labels hcl
    JOIN vr_legal_holds hh ON hh.label_id = hcl.label_id
    WHERE hcl.conversation_id = vr_conversations.id AND hh.state <> 'released')`;
  return async (keys: string[]): Promise<Map<string, ArchiveKeyInfo>> => {
    const out = new Map<string, ArchiveKeyInfo>();
    if (!keys.length) return out;
    const rows = await db('vr_conversations')
      .whereIn('storage_key', keys)
      .orWhereIn('superseded_storage_key', keys)
      .select(
        'id',
        'storage_key',
        'superseded_storage_key',
        'sha256',
        'bytes',
        'compress_to',
        'retention_until',
        db.raw(`CASE WHEN ${HELD} THEN 1 ELSE 0 END AS held`),
      );
    const iso = (v: unknown) =>
      v === null || v === undefined
        ? undefined
        : new Date(
            typeof v === 'number' || /^\d+$/.test(String(v))
              ? Number(v)
              : (v as string),
          ).toISOString();
    for (const r of rows) {
      const held = Number(r.held) === 1;
      if (r.storage_key && keys.includes(r.storage_key))
        out.set(r.storage_key, {
          conversationId: r.id,
          // a WAV waiting for compression is replaced later: not locked
          kind: r.compress_to ? 'interim' : 'archive',
          sha256: r.sha256 ?? undefined,
          bytes:
            r.bytes === null || r.bytes === undefined ? undefined : Number(r.bytes),
          retentionUntil: iso(r.retention_until),
          held,
        });
      if (r.superseded_storage_key && keys.includes(r.superseded_storage_key))
        out.set(r.superseded_storage_key, {
          conversationId: r.id,
          kind: 'interim',
          retentionUntil: iso(r.retention_until),
          held: false,
        });
    }
    return out;
  };
}

const quietLogger: any = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child() {
    return quietLogger;
  },
};

export const storageMigrateCommand: CliCommand = {
  usage: USAGE,
  description:
    'moves the local recording archive into the S3 bucket of voiceRecording.storage.s3: resumable, verified (size and SHA-256, archives against their conversation), idempotent; deletes local files only with --delete-local (docs/deployment.md)',
  async run(args: string[], io: CliIo): Promise<number> {
    const parsed = parse(args);
    if (typeof parsed === 'string') {
      io.err(`mvr storage-migrate: ${parsed}\nusage: mvr storage-migrate ${USAGE}\n`);
      return 2;
    }
    // relative paths in the config (SQLite directory, key files, the old storage
    // directory) are the backend's: resolved from its working directory
    const { config, close } = await openBackendConfig(io, parsed);
    const shutdown: Array<() => Promise<void> | void> = [];
    let target: S3BlobStore | undefined;
    try {
      const s3 = readS3BlobStoreOptions(config);
      if (!s3) {
        io.err(
          'mvr storage-migrate: voiceRecording.storage.s3 is not configured: name the bucket to move the archive to\n',
        );
        return 2;
      }
      // --from is taken from where the command was typed; the configured directory
      // (or the backend's default) from the backend's working directory
      const fromDir = parsed.from
        ? nodePath.resolve(io.cwd, parsed.from)
        : nodePath.resolve(
            config.getOptionalString('voiceRecording.storage.local.directory') ??
              DEFAULT_LOCAL_BLOB_DIRECTORY,
          );
      if (!fs.statSync(fromDir, { throwIfNoEntry: false })?.isDirectory()) {
        io.err(
          `mvr storage-migrate: the local archive ${fromDir} is no directory${
            parsed.from ? ' (--from)' : ' (voiceRecording.storage.local.directory or its default; give --from)'
          }\n`,
        );
        return 2;
      }
      const source = new LocalFileBlobStore(fromDir, { minFreeBytes: 0 });
      target = new S3BlobStore(s3);
      await target.verifyBucket();
      const enc = readEncryptionConfig(config);
      // never create a key here: a missing key file is an error
      const keys =
        enc && enc.keys.length ? loadExistingEncryptionKeys(enc) : undefined;
      const plaintext = (store: BlobStore): BlobStore =>
        keys
          ? new EncryptedBlobStore(store, keys, { segmentSize: enc!.segmentSize })
          : store;
      const manager = DatabaseManager.fromConfig(config);
      const database = manager.forPlugin('voice-recording', {
        logger: quietLogger,
        lifecycle: {
          addStartupHook() {},
          addShutdownHook(hook: () => Promise<void> | void) {
            shutdown.push(hook);
          },
          addBeforeShutdownHook() {},
        } as any,
      });
      const db = await database.getClient();
      shutdown.push(() => db.destroy());
      if (!(await db.schema.hasTable('vr_conversations'))) {
        io.err(
          'mvr storage-migrate: the database of backend.database has no voice-recording tables: is it the backend\'s configuration?\n',
        );
        return 2;
      }
      io.out(
        `from: local files in ${fromDir}\nto: S3 object storage ${target.location()}${s3.endpoint ? ` at ${s3.endpoint}` : ''}${
          s3.objectLock ? ` (Object Lock ${s3.objectLock.mode})` : ''
        }\n${parsed.dryRun ? 'dry run: nothing is written\n' : ''}`,
      );
      let last = Date.now();
      const report = await migrateArchive({
        source,
        target,
        plaintext,
        lookup: archiveLookup(db),
        objectLock: s3.objectLock,
        dryRun: parsed.dryRun,
        deleteLocal: parsed.deleteLocal,
        concurrency: parsed.concurrency,
        prefix: parsed.prefix,
        onProgress: r => {
          if (Date.now() - last > 2000) {
            last = Date.now();
            io.err(
              `... ${r.done}/${r.total} files: ${r.copied} copied (${mib(r.bytesCopied)}), ${r.skipped} already there, ${r.failed.length} failed\n`,
            );
          }
        },
      });
      io.out(summary(report, parsed));
      for (const f of report.failed) io.err(`FAILED ${f.key}: ${f.error}\n`);
      return report.failed.length > 0 ? 1 : 0;
    } catch (e) {
      io.err(`mvr storage-migrate: ${(e as Error).message}\n`);
      return 1;
    } finally {
      target?.destroy();
      for (const hook of shutdown) await Promise.resolve(hook()).catch(() => {});
      await close();
    }
  },
};
