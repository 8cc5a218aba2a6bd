/*
 * Export packages for the verify command's tests, built the way the backend builds
 * them (ExportManifest format, real Ed25519 keys, real SHA-256), with hooks to
 * tamper with them.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign,
} from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import nodePath from 'node:path';
import {
  canonicalJson,
  ExportManifest,
  ExportManifestConversation,
  RecordingSignature,
  SignedRecordingPayload,
} from '@mvr/plugin-voice-recording-common';
import { ZipFile } from 'yazl';
import { keyIdOf } from '../verify/verifyPackage';

export interface TestKey {
  privateKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
}

export function testKey(): TestKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pub = createPublicKey(privateKey);
  return {
    privateKey,
    publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(pub),
  };
}

const sha = (b: Buffer | string) =>
  createHash('sha256').update(b).digest('hex');
const sig = (k: TestKey, data: Buffer | string) =>
  sign(
    null,
    typeof data === 'string' ? Buffer.from(data) : data,
    k.privateKey,
  ).toString('base64');

export const IDS = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
];

/** The files of a package, before zipping (each a path and its bytes). */
export type PackageFiles = Map<string, Buffer>;

export interface BuildOptions {
  /** signs the recordings (default: `key`) */
  recordingKey?: TestKey;
  /** the key in public-key.pem (default: `key`) */
  packageKey?: TestKey;
  /** changes the files after the manifest, sums and signature were made */
  tamper?: (files: PackageFiles, manifest: ExportManifest) => void;
  /** changes the manifest before it is signed and summed */
  editManifest?: (manifest: ExportManifest) => void;
  /** the first conversation's archive was re-encoded (two signatures, chained) */
  reencoded?: boolean;
}

function signature(
  k: TestKey,
  id: string,
  payload: SignedRecordingPayload,
  replacesId?: string,
): RecordingSignature {
  const text = canonicalJson(payload);
  return {
    id,
    conversationId: payload.conversationId,
    keyId: k.keyId,
    payload: text,
    signature: sig(k, text),
    ...(replacesId ? { replacesId } : {}),
    signedAt: payload.signedAt,
  };
}

/** The files of a good package of three conversations signed with `key`. */
export function packageFiles(key: TestKey, o: BuildOptions = {}): PackageFiles {
  const recordingKey = o.recordingKey ?? key;
  const files: PackageFiles = new Map();
  const conversations: ExportManifestConversation[] = IDS.map((id, i) => {
    const audio = Buffer.from(
      `OggS fake opus audio of call ${i} `.repeat(50 + i),
    );
    const file = `audio/${id}.ogg`;
    files.set(file, audio);
    const base: SignedRecordingPayload = {
      v: 1,
      conversationId: id,
      sha256: sha(audio),
      bytes: audio.length,
      format: 'audio/ogg; codecs=opus',
      number: '+32470123456',
      userRef: 'user:default/bob',
      participants: ['+32470123456', '+32475111222'],
      direction: 'outgoing',
      startedAt: '2026-12-01T10:00:00.000Z',
      endedAt: '2026-12-01T10:01:00.000Z',
      durationMs: 60000,
      recorderInstance: 'rec-1',
      signedAt: '2026-12-01T10:01:01.000Z',
    };
    let signatures: RecordingSignature[];
    if (o.reencoded && i === 0) {
      const wav = Buffer.from('RIFF lossless interim');
      const first = signature(recordingKey, `sig-${i}-a`, {
        ...base,
        sha256: sha(wav),
        bytes: wav.length,
        format: 'audio/wav',
      });
      const second = signature(
        recordingKey,
        `sig-${i}-b`,
        {
          ...base,
          replacesSha256: sha(wav),
          signedAt: '2026-12-01T10:02:00.000Z',
        },
        first.id,
      );
      signatures = [second, first];
    } else signatures = [signature(recordingKey, `sig-${i}`, base)];
    return {
      id,
      number: base.number,
      userRef: base.userRef,
      participants: base.participants,
      direction: base.direction,
      startedAt: base.startedAt,
      endedAt: base.endedAt,
      durationMs: base.durationMs,
      recorderInstance: base.recorderInstance,
      audio: {
        file,
        sha256: base.sha256,
        bytes: base.bytes,
        format: base.format,
      },
      signatures,
      labels: [],
      cases: [],
      legalHold: false,
    };
  });
  const manifest: ExportManifest = {
    format: 'mvr-export/1',
    exportId: 'e-1',
    createdAt: '2026-12-06T07:00:00.000Z',
    createdBy: 'user:default/alice',
    scope: { kind: 'case', caseId: 'case-1' },
    scopeTitle: 'Case: Falcon',
    keyId: key.keyId,
    conversations,
  };
  o.editManifest?.(manifest);
  const manifestText = Buffer.from(JSON.stringify(manifest, null, 2));
  files.set('manifest.json', manifestText);
  files.set('manifest.json.sig', Buffer.from(sig(key, manifestText)));
  files.set('public-key.pem', Buffer.from((o.packageKey ?? key).publicKeyPem));
  files.set('manifest.csv', Buffer.from(`id\n${IDS.join('\n')}`));
  files.set(
    'README.txt',
    Buffer.from('How to verify: yarn mvr verify <this file>'),
  );
  files.set(
    'SHA256SUMS',
    Buffer.from(
      [...files.entries()]
        .map(([name, bytes]) => `${sha(bytes)}  ${name}\n`)
        .join(''),
    ),
  );
  o.tamper?.(files, manifest);
  return files;
}

/** Zips the files into `dir/name` and returns the path. */
export async function writeZip(
  files: PackageFiles,
  dir: string,
  name = 'export.zip',
): Promise<string> {
  const path = nodePath.join(dir, name);
  const zip = new ZipFile();
  for (const [file, bytes] of files) zip.addBuffer(bytes, file);
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path);
    zip.outputStream.pipe(out).on('close', resolve).on('error', reject);
  });
  return path;
}

export async function tempDir(): Promise<string> {
  return fs.mkdtemp(nodePath.join(require('node:os').tmpdir(), 'mvr-verify-'));
}
