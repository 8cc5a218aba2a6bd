import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  Conversation,
  ConversationLabel,
  csvRow,
  EXPORT_MANIFEST_FORMAT,
  ExportManifest,
  ExportManifestConversation,
  ExportScope,
  RecordingSignature,
} from '@mvr/plugin-voice-recording-common';
import {
  BlobStore,
  ConversationQuery,
  RecordingSigner,
} from '@mvr/plugin-voice-recording-node';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { Knex } from 'knex';
import { ZipFile } from 'yazl';
import { storedKind } from '../../audio/pcm';
import {
  ConversationSearchFilters,
  ConversationSearchStore,
} from '../../database/ConversationSearchStore';
import { chunk, SQL_VARIABLE_LIMIT, toIso } from '../../database/util';

type Visibility = PermissionCriteria<ConversationQuery> | undefined;

/** Conversations read from the database per page while building. */
export const EXPORT_PAGE_SIZE = 200;

export interface ExportPackageInput {
  exportId: string;
  createdAt: string;
  createdBy: string;
  scope: ExportScope;
  scopeTitle: string;
  filters: ConversationSearchFilters;
  visibility: Visibility;
  includeMp3: boolean;
}

export interface ExportPackageResult {
  sha256: string;
  bytes: number;
  done: number;
  total: number;
  skipped: number;
  conversationIds: string[];
}

/**
 * Told after each conversation; returning false stops the build (the job was deleted
 * or taken over by another instance).
 */
export type ExportProgress = (p: {
  done: number;
  total: number;
  skipped: number;
}) => Promise<boolean>;

export class ExportAbortedError extends Error {
  constructor(message = 'the export was cancelled or taken over') {
    super(message);
    this.name = 'ExportAbortedError';
  }
}

export interface ExportPackageBuilderOptions {
  knex: Knex;
  store: ConversationSearchStore;
  blobs: BlobStore;
  signer: RecordingSigner;
  /** The labels of conversations (with their case ids), as the requester may see them. */
  labelsOf?: (
    ids: string[],
    visibility: Visibility,
  ) => Promise<Map<string, ConversationLabel[]>>;
  /** Each conversation's signatures, newest first (the chain). */
  signaturesOf?: (ids: string[]) => Promise<Map<string, RecordingSignature[]>>;
  /** The key of the conversation's MP3 in the blob store (computed once, cached). */
  mp3Of?: (c: Conversation) => Promise<{ key: string }>;
}

const FILE_ID = /^[0-9a-f-]{36}$/i;

/** The parties of a conversation as the manifest lists them (E.164 or address). */
function partiesOf(c: Conversation): string[] {
  const parties = (c.participants ?? []).map(p => p.number ?? p.aor);
  if (parties.length > 0) return parties;
  return [c.number, ...(c.otherParty ? [c.otherParty] : [])];
}

/** Reads a stream through a hash: the PassThrough to give the ZIP, and its digest. */
function hashed(source: Readable): {
  stream: PassThrough;
  result: Promise<{ sha256: string; bytes: number }>;
} {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new PassThrough();
  const result = new Promise<{ sha256: string; bytes: number }>(
    (resolve, reject) => {
      source.on('data', (d: Buffer) => {
        hash.update(d);
        bytes += d.length;
      });
      source.on('end', () => resolve({ sha256: hash.digest('hex'), bytes }));
      source.on('error', e => {
        reject(e);
        stream.destroy(e);
      });
    },
  );
  source.pipe(stream);
  return { stream, result };
}

const MANIFEST_CSV_COLUMNS = [
  'id',
  'number',
  'userRef',
  'participants',
  'direction',
  'otherParty',
  'startedAt',
  'endedAt',
  'durationMs',
  'recorderInstance',
  'audioFile',
  'audioSha256',
  'audioBytes',
  'audioFormat',
  'mp3File',
  'mp3Sha256',
  'signatureKeyId',
  'signatures',
  'labels',
  'cases',
  'retentionUntil',
  'legalHold',
] as const;

/** The package's README.txt: what it holds and how the recipient verifies it. */
export function exportReadme(m: {
  exportId: string;
  createdAt: string;
  createdBy: string;
  scopeTitle: string;
  keyId: string;
  count: number;
  skipped: number;
  includeMp3: boolean;
}): string {
  return `Voice recording export ${m.exportId}
${'='.repeat(26 + m.exportId.length)}

Scope:       ${m.scopeTitle}
Created:     ${m.createdAt} by ${m.createdBy}
Recordings:  ${m.count}${
    m.skipped
      ? ` (${m.skipped} conversation(s) of the scope have no audio and are not included)`
      : ''
  }
Signing key: ${m.keyId} (public-key.pem)

Contents
--------
README.txt         this file
public-key.pem     the recording installation's Ed25519 public key (SPKI PEM)
manifest.json      every recording: parties, times, direction, duration, file, SHA-256,
                   signatures, cases and labels, retention end, legal hold (format ${EXPORT_MANIFEST_FORMAT})
manifest.json.sig  base64 Ed25519 signature of manifest.json (its exact bytes)
manifest.csv       the same, one row per recording, for a spreadsheet
audio/<id>.<ext>   each recording exactly as archived (Ogg/Opus or WAV)
${
  m.includeMp3
    ? 'mp3/<id>.mp3       MP3 copies for convenience (derived: not signed; their hashes are in\n                   manifest.json and SHA256SUMS)\n'
    : ''
}SHA256SUMS         SHA-256 of every other file (sha256sum format)

How to verify
-------------
Obtain the public key from the recording installation independently (its portal
publishes it, GET /api/voice-recording/signing/public-key, and its documentation) and
check it is the one in public-key.pem. Then:

1. With the verification command of the voice recording suite:

     yarn mvr verify <this-file>.zip --public-key <the key you were given>.pem

   It checks every hash, the manifest's signature and each recording's signature, and
   names the file that fails and why.

2. By hand, in the unzipped folder (GNU coreutils and OpenSSL 3):

     sha256sum -c SHA256SUMS
     base64 -d manifest.json.sig > manifest.json.sig.bin
     openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\
       -in manifest.json -sigfile manifest.json.sig.bin

   The first must print OK for every file, the second "Signature Verified Successfully".
   Each recording's entry in manifest.json carries "signatures": the newest first; its
   "payload" is the exact signed text (JSON) and "signature" the base64 Ed25519
   signature of it by the key "keyId". The payload's "sha256" is the recording's SHA-256
   (the "audio" file's); "replacesSha256" names the archive it replaced (e.g. the
   lossless original of an Opus file). To check one by hand, write the payload to a
   file without a trailing newline and verify it as above.

A changed, missing or added file, or a manifest that is not the signed one, fails these
checks.
`;
}

/**
 * Builds an export package (the format of `ExportManifest`, docs/regulator-export.md)
 * and streams it into the blob store: the conversations are read page by page, each
 * recording streamed from the store into the ZIP and hashed on the way (never held in
 * memory), then the manifest (JSON, signed, and CSV), the public key, the README and
 * SHA256SUMS. The package's own SHA-256 is computed over the bytes written.
 */
export class ExportPackageBuilder {
  constructor(private readonly options: ExportPackageBuilderOptions) {}

  /** Conversation ids held by an active legal hold (any of their labels). */
  private async heldOf(ids: string[]): Promise<Set<string>> {
    const held = new Set<string>();
    if (!(await this.hasTable('vr_legal_holds'))) return held;
    for (const part of chunk(ids, SQL_VARIABLE_LIMIT)) {
      const rows = await this.options
        .knex('vr_conversation_labels as cl')
        .join('vr_legal_holds as h', 'h.label_id', 'cl.label_id')
        .whereIn('cl.conversation_id', part)
        .whereNot('h.state', 'released')
        .distinct('cl.conversation_id');
      for (const r of rows) held.add(r.conversation_id);
    }
    return held;
  }

  private tables = new Map<string, Promise<boolean>>();
  private hasTable(name: string): Promise<boolean> {
    let p = this.tables.get(name);
    if (!p) {
      p = this.options.knex.schema.hasTable(name);
      this.tables.set(name, p);
    }
    return p;
  }
  private retentionColumn?: Promise<boolean>;

  /** Retention ends, when the archive keeps them (column `retention_until`). */
  private async retentionOf(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    this.retentionColumn ??= this.options.knex.schema.hasColumn(
      'vr_conversations',
      'retention_until',
    );
    if (!(await this.retentionColumn)) return out;
    for (const part of chunk(ids, SQL_VARIABLE_LIMIT)) {
      const rows = await this.options
        .knex('vr_conversations')
        .whereIn('id', part)
        .whereNotNull('retention_until')
        .select('id', 'retention_until');
      for (const r of rows) out.set(r.id, toIso(r.retention_until));
    }
    return out;
  }

  /** Case titles by id. */
  private async caseTitles(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const part of chunk([...new Set(ids)], SQL_VARIABLE_LIMIT)) {
      if (part.length === 0) continue;
      const rows = await this.options
        .knex('vr_cases')
        .whereIn('id', part)
        .select('id', 'title');
      for (const r of rows) out.set(r.id, r.title);
    }
    return out;
  }

  /** The facts of one page of conversations for their manifest entries. */
  private async pageFacts(page: Conversation[], visibility: Visibility) {
    const ids = page.map(c => c.id);
    const [labels, signatures, held, retention] = await Promise.all([
      this.options.labelsOf?.(ids, visibility) ??
        Promise.resolve(new Map<string, ConversationLabel[]>()),
      this.options.signaturesOf?.(ids) ??
        Promise.resolve(new Map<string, RecordingSignature[]>()),
      this.heldOf(ids),
      this.retentionOf(ids),
    ]);
    const caseIds = [...labels.values()]
      .flat()
      .map(l => l.caseId)
      .filter((x): x is string => Boolean(x));
    const titles = await this.caseTitles(caseIds);
    return { labels, signatures, held, retention, titles };
  }

  async build(
    input: ExportPackageInput,
    blobKey: string,
    progress: ExportProgress,
  ): Promise<ExportPackageResult> {
    const { store, blobs, signer } = this.options;
    const filters: ConversationSearchFilters = {
      ...input.filters,
    };
    const total = await store.count(filters, input.visibility);
    const zip = new ZipFile();
    // the package's hash over the bytes handed to the store (which may encrypt them)
    const packageHash = createHash('sha256');
    let packageBytes = 0;
    const out = new PassThrough();
    // an aborted build destroys it with the reason: the store's write fails with it
    out.on('error', () => undefined);
    zip.outputStream.on('data', (d: Buffer) => {
      packageHash.update(d);
      packageBytes += d.length;
    });
    zip.outputStream.on('error', e => out.destroy(e));
    zip.outputStream.pipe(out);
    // never under Object Lock: a package expires and may be deleted (docs/object-storage.md)
    const stored = blobs.put(blobKey, out, {
      contentType: 'application/zip',
      retention: null,
    });
    // a failed store write ends the build at the next step (instead of waiting forever)
    let storeError: Error | undefined;
    stored.catch(e => {
      storeError = e;
    });
    const failed = new Promise<never>((_, reject) =>
      stored.catch(e => reject(e)),
    );
    failed.catch(() => undefined);
    const sums: Array<[string, string]> = [];
    const addBuffer = (name: string, body: Buffer, mtime: Date) => {
      zip.addBuffer(body, name, { mtime });
      sums.push([name, createHash('sha256').update(body).digest('hex')]);
    };
    const addStream = async (
      name: string,
      source: Readable,
      mtime: Date,
    ): Promise<{ sha256: string; bytes: number }> => {
      const { stream, result } = hashed(source);
      zip.addReadStream(stream, name, { compress: false, mtime });
      // one recording open at a time: the next is added once this one is read
      const r = await Promise.race([result, failed]);
      sums.push([name, r.sha256]);
      return r;
    };

    const entries: ExportManifestConversation[] = [];
    const ids: string[] = [];
    let done = 0;
    let skipped = 0;
    let cursor: string | undefined;
    try {
      do {
        const page = await store.search(
          {
            ...filters,
            sort: 'startedAt',
            order: 'asc',
            limit: EXPORT_PAGE_SIZE,
            cursor,
          },
          input.visibility,
        );
        cursor = page.nextCursor;
        const facts = await this.pageFacts(page.items, input.visibility);
        for (const c of page.items) {
          if (storeError) throw storeError;
          const kind = storedKind(c.format);
          if (!c.storageKey || !kind || !FILE_ID.test(c.id)) {
            skipped++;
          } else {
            const ext = kind === 'opus' ? 'ogg' : 'wav';
            const started = new Date(c.startedAt);
            const audioFile = `audio/${c.id}.${ext}`;
            const audio = await addStream(
              audioFile,
              await blobs.get(c.storageKey),
              started,
            );
            if (c.sha256 && c.sha256 !== audio.sha256) {
              throw new Error(
                `conversation ${c.id}: the archive read (SHA-256 ${audio.sha256}) is not the one recorded (${c.sha256}); check the archive's integrity`,
              );
            }
            let mp3: ExportManifestConversation['mp3'];
            if (input.includeMp3 && this.options.mp3Of) {
              const { key } = await this.options.mp3Of(c);
              const file = `mp3/${c.id}.mp3`;
              const r = await addStream(file, await blobs.get(key), started);
              mp3 = { file, sha256: r.sha256, bytes: r.bytes };
            }
            const labels = facts.labels.get(c.id) ?? [];
            entries.push({
              id: c.id,
              number: c.number,
              userRef: c.userRef,
              participants: partiesOf(c),
              direction: c.direction,
              otherParty: c.otherParty,
              startedAt: c.startedAt,
              endedAt: c.endedAt,
              durationMs: c.durationMs ?? undefined,
              recorderInstance: c.captureSource,
              audio: {
                file: audioFile,
                sha256: audio.sha256,
                bytes: audio.bytes,
                format: c.format!,
              },
              ...(mp3 ? { mp3 } : {}),
              signatures: facts.signatures.get(c.id) ?? [],
              labels: labels.map(l => l.title),
              cases: labels
                .map(l => (l.caseId ? facts.titles.get(l.caseId) : undefined))
                .filter((x): x is string => Boolean(x)),
              retentionUntil: facts.retention.get(c.id),
              legalHold: facts.held.has(c.id),
            });
            ids.push(c.id);
            done++;
          }
          if (!(await progress({ done, total, skipped })))
            throw new ExportAbortedError();
        }
      } while (cursor);

      const manifest: ExportManifest = {
        format: EXPORT_MANIFEST_FORMAT,
        exportId: input.exportId,
        createdAt: input.createdAt,
        createdBy: input.createdBy,
        scope: input.scope,
        scopeTitle: input.scopeTitle,
        keyId: signer.keyId,
        conversations: entries,
      };
      const now = new Date();
      const manifestJson = Buffer.from(
        `${JSON.stringify(manifest, null, 2)}\n`,
        'utf8',
      );
      addBuffer('manifest.json', manifestJson, now);
      addBuffer(
        'manifest.json.sig',
        Buffer.from(`${signer.sign(manifestJson)}\n`, 'utf8'),
        now,
      );
      addBuffer(
        'public-key.pem',
        Buffer.from(signer.publicKeyPem, 'utf8'),
        now,
      );
      addBuffer(
        'manifest.csv',
        Buffer.from(
          stringifyCsv(entries.map(manifestCsvRow), {
            header: true,
            columns: [...MANIFEST_CSV_COLUMNS],
          }),
          'utf8',
        ),
        now,
      );
      addBuffer(
        'README.txt',
        Buffer.from(
          exportReadme({
            exportId: input.exportId,
            createdAt: input.createdAt,
            createdBy: input.createdBy,
            scopeTitle: input.scopeTitle,
            keyId: signer.keyId,
            count: entries.length,
            skipped,
            includeMp3: input.includeMp3,
          }),
          'utf8',
        ),
        now,
      );
      const sumsText = `${sums
        .sort(([a], [b]) => Number(a > b) - Number(a < b))
        .map(([name, hex]) => `${hex}  ${name}`)
        .join('\n')}\n`;
      zip.addBuffer(Buffer.from(sumsText, 'utf8'), 'SHA256SUMS', {
        mtime: now,
      });
      zip.end();
      await stored;
    } catch (e) {
      // the store's write fails on the destroyed stream and leaves no file behind
      out.destroy(e as Error);
      await stored.catch(() => undefined);
      await blobs.delete(blobKey).catch(() => undefined);
      throw e;
    }
    return {
      sha256: packageHash.digest('hex'),
      bytes: packageBytes,
      done,
      total,
      skipped,
      conversationIds: ids,
    };
  }
}

function manifestCsvRow(c: ExportManifestConversation) {
  // parties, names and labels come from outside (SIP metadata, admins): every cell
  // neutralised against formula injection
  return csvRow({
    id: c.id,
    number: c.number,
    userRef: c.userRef,
    participants: c.participants.join('; '),
    direction: c.direction ?? '',
    otherParty: c.otherParty ?? '',
    startedAt: c.startedAt,
    endedAt: c.endedAt ?? '',
    durationMs: c.durationMs ?? '',
    recorderInstance: c.recorderInstance ?? '',
    audioFile: c.audio.file,
    audioSha256: c.audio.sha256,
    audioBytes: c.audio.bytes,
    audioFormat: c.audio.format,
    mp3File: c.mp3?.file ?? '',
    mp3Sha256: c.mp3?.sha256 ?? '',
    signatureKeyId: c.signatures[0]?.keyId ?? '',
    signatures: c.signatures.length,
    labels: c.labels.join('; '),
    cases: c.cases.join('; '),
    retentionUntil: c.retentionUntil ?? '',
    legalHold: c.legalHold ? 'yes' : 'no',
  });
}
