/*
 * Offline verification of an export package (format: ExportManifest in
 * @mvr/plugin-voice-recording-common; docs/integrity.md "The verify command"):
 *
 *  1. the key: public-key.pem, or the pinned one (--public-key): a package key that
 *     is not the pinned key fails;
 *  2. manifest.json.sig: Ed25519 over manifest.json's exact bytes;
 *  3. SHA256SUMS: every listed file present with that hash, every other file listed;
 *  4. per conversation: its audio file present, with the manifest's hash and size;
 *     its newest signature valid, of that hash and that conversation; older
 *     signatures (the archives it replaced) valid and chained; MP3 copies' hashes;
 *  5. no audio or MP3 file that no manifest entry names.
 *
 * Every problem names the file and says why.
 */
import {
  createHash,
  createPublicKey,
  KeyObject,
  verify as cryptoVerify,
} from 'node:crypto';
import type {
  ExportManifest,
  ExportManifestConversation,
  RecordingSignature,
  SignedRecordingPayload,
} from '@mvr/plugin-voice-recording-common';
import { readZip, ZipContents } from './readZip';

/** The manifest format this verifier reads. */
export const SUPPORTED_FORMAT = 'mvr-export/1';

export interface VerifyProblem {
  /** The file the problem is about (path inside the package). */
  file: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  problems: VerifyProblem[];
  keyId?: string;
  /** Where the key came from. */
  keySource?: 'package' | 'pinned';
  conversations: number;
  files: number;
  signaturesChecked: number;
}

const TEXT_FILES = new Set([
  'README.txt',
  'public-key.pem',
  'manifest.json',
  'manifest.json.sig',
  'manifest.csv',
  'SHA256SUMS',
]);

/** Key id as the backend computes it: first 16 hex of SHA-256 over the SPKI DER. */
export function keyIdOf(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function readPublicKey(pem: string | Buffer): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(
      `not an Ed25519 key (${key.asymmetricKeyType ?? 'unknown type'})`,
    );
  return key;
}

function ed25519Valid(
  key: KeyObject,
  data: Buffer | string,
  signatureB64: string,
): boolean {
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    return cryptoVerify(null, bytes, key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** A path inside the package that could not escape where it is unpacked. */
function safePath(name: string): boolean {
  return (
    !name.startsWith('/') &&
    !name.includes('\\') &&
    !/^[a-zA-Z]:/.test(name) &&
    !name.split('/').some(p => p === '..' || p === '') &&
    // control characters would garble a report line
    !hasControl(name)
  );
}

const isControl = (code: number) =>
  code < 0x20 || (code >= 0x7f && code <= 0x9f);

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++)
    if (isControl(s.charCodeAt(i))) return true;
  return false;
}

/** Shown in a report line: control characters out, quotes when it has spaces. */
export function shown(name: string): string {
  const clean = Array.from(name, ch =>
    isControl(ch.charCodeAt(0)) ? '?' : ch,
  ).join('');
  return /\s/.test(clean) ? JSON.stringify(clean) : clean;
}

function parseSums(
  text: string,
  problems: VerifyProblem[],
): Map<string, string> {
  const sums = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.replace(/\r$/, ''));
    if (!m) {
      problems.push({
        file: 'SHA256SUMS',
        message: `line ${i + 1} is not "<sha256>  <path>"`,
      });
      return;
    }
    if (sums.has(m[2]))
      problems.push({
        file: 'SHA256SUMS',
        message: `lists ${shown(m[2])} twice`,
      });
    sums.set(m[2], m[1].toLowerCase());
  });
  return sums;
}

function parsePayload(
  s: RecordingSignature,
): SignedRecordingPayload | undefined {
  try {
    const p = JSON.parse(s.payload);
    return p && typeof p === 'object'
      ? (p as SignedRecordingPayload)
      : undefined;
  } catch {
    return undefined;
  }
}

function checkConversation(
  c: ExportManifestConversation,
  zip: ZipContents,
  key: KeyObject,
  keyId: string,
  problems: VerifyProblem[],
): number {
  let checked = 0;
  const audioFile = c.audio?.file;
  const file = audioFile ?? `(conversation ${c.id})`;
  const say = (message: string, f = file) =>
    problems.push({ file: f, message });
  if (!audioFile) {
    say(
      `manifest.json names no audio file for conversation ${c.id}`,
      'manifest.json',
    );
    return 0;
  }
  const found = zip.files.get(audioFile);
  if (!found) say(`missing from the package (conversation ${c.id})`);
  else {
    if (found.sha256 !== String(c.audio.sha256).toLowerCase())
      say(
        `SHA-256 ${found.sha256} is not the manifest's ${c.audio.sha256} (conversation ${c.id}): the file was altered or swapped`,
      );
    if (found.bytes !== c.audio.bytes)
      say(`${found.bytes} bytes, the manifest says ${c.audio.bytes}`);
  }
  const signatures = Array.isArray(c.signatures) ? c.signatures : [];
  if (signatures.length === 0) {
    say(`no signature in the manifest for conversation ${c.id}`);
    return 0;
  }
  signatures.forEach((s, i) => {
    const what = i === 0 ? 'signature' : `older signature ${s.id}`;
    checked++;
    if (s.keyId && s.keyId !== keyId)
      say(`${what} was made with key ${s.keyId}, not with key ${keyId}`);
    if (!ed25519Valid(key, s.payload ?? '', s.signature ?? '')) {
      say(
        `${what} does not verify with key ${keyId} (payload altered or signed with another key)`,
      );
      return;
    }
    const p = parsePayload(s);
    if (!p) {
      say(`${what}: its payload is not JSON`);
      return;
    }
    if (p.conversationId !== c.id)
      say(
        `${what} is of conversation ${p.conversationId}, not of ${c.id} (swapped)`,
      );
    if (i === 0) {
      // the newest signature covers the archive in the package
      if (p.sha256 !== String(c.audio.sha256).toLowerCase())
        say(
          `signature covers SHA-256 ${p.sha256}, the manifest says ${c.audio.sha256}`,
        );
      if (found && p.sha256 !== found.sha256)
        say(
          `signature covers SHA-256 ${p.sha256}, the file's is ${found.sha256}`,
        );
      if (found && typeof p.bytes === 'number' && p.bytes !== found.bytes)
        say(`signature covers ${p.bytes} bytes, the file has ${found.bytes}`);
    }
    // the chain: a signature that replaced another names it, with its hash
    const older = signatures[i + 1];
    if (older && s.replacesId && s.replacesId !== older.id)
      say(`${what} replaces ${s.replacesId}, but the next one is ${older.id}`);
    if (older && p.replacesSha256) {
      const op = parsePayload(older);
      if (op && op.sha256 !== p.replacesSha256)
        say(
          `${what} replaced an archive with SHA-256 ${p.replacesSha256}, the older signature covers ${op.sha256}`,
        );
    }
  });
  if (c.mp3) {
    const mp3 = zip.files.get(c.mp3.file);
    if (!mp3)
      say(`missing from the package (MP3 of conversation ${c.id})`, c.mp3.file);
    else if (mp3.sha256 !== String(c.mp3.sha256).toLowerCase())
      say(
        `SHA-256 ${mp3.sha256} is not the manifest's ${c.mp3.sha256} (MP3 of conversation ${c.id})`,
        c.mp3.file,
      );
  }
  return checked;
}

/** Verifies the package at `zipPath`; `pinnedKeyPem`: the key the recipient trusts. */
export async function verifyExportPackage(
  zipPath: string,
  options: { pinnedKeyPem?: string } = {},
): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const report = (extra: Partial<VerifyReport> = {}): VerifyReport => ({
    ok: problems.length === 0,
    problems,
    conversations: 0,
    files: 0,
    signaturesChecked: 0,
    ...extra,
  });
  let zip: ZipContents;
  try {
    zip = await readZip(zipPath, name => TEXT_FILES.has(name));
  } catch (e) {
    problems.push({
      file: zipPath,
      message: `not a readable ZIP package: ${(e as Error).message}`,
    });
    return report();
  }
  for (const d of zip.duplicates)
    problems.push({ file: d, message: 'the package holds this file twice' });
  for (const name of zip.files.keys())
    if (!safePath(name))
      problems.push({
        file: shown(name),
        message: 'unsafe path (absolute, "..", or control characters)',
      });
  for (const name of TEXT_FILES)
    if (!zip.files.has(name))
      problems.push({ file: name, message: 'missing from the package' });

  // 1. the key
  let key: KeyObject | undefined;
  let keySource: 'package' | 'pinned' | undefined;
  const packageKeyPem = zip.files.get('public-key.pem')?.content;
  let packageKey: KeyObject | undefined;
  if (packageKeyPem) {
    try {
      packageKey = readPublicKey(packageKeyPem);
    } catch (e) {
      problems.push({
        file: 'public-key.pem',
        message: `not a readable Ed25519 public key: ${(e as Error).message}`,
      });
    }
  }
  if (options.pinnedKeyPem !== undefined) {
    key = readPublicKey(options.pinnedKeyPem);
    keySource = 'pinned';
    if (packageKey && keyIdOf(packageKey) !== keyIdOf(key))
      problems.push({
        file: 'public-key.pem',
        message: `the package's key ${keyIdOf(
          packageKey,
        )} is not the pinned key ${keyIdOf(key)}`,
      });
  } else if (packageKey) {
    key = packageKey;
    keySource = 'package';
  }
  const keyId = key ? keyIdOf(key) : undefined;

  // 2. the manifest and its signature
  const manifestBytes = zip.files.get('manifest.json')?.content;
  const sig = zip.files.get('manifest.json.sig')?.content;
  if (manifestBytes && sig && key && keyId) {
    if (!ed25519Valid(key, manifestBytes, sig.toString('utf8').trim()))
      problems.push({
        file: 'manifest.json.sig',
        message: `the signature of manifest.json does not verify with key ${keyId} (manifest.json altered, or signed with another key)`,
      });
  }
  let manifest: ExportManifest | undefined;
  if (manifestBytes) {
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8'));
    } catch (e) {
      problems.push({
        file: 'manifest.json',
        message: `not JSON: ${(e as Error).message}`,
      });
    }
    if (manifest && manifest.format !== SUPPORTED_FORMAT) {
      problems.push({
        file: 'manifest.json',
        message: `format ${JSON.stringify(
          manifest.format,
        )} is not ${SUPPORTED_FORMAT}`,
      });
      manifest = undefined;
    }
    if (manifest && !Array.isArray(manifest.conversations)) {
      problems.push({
        file: 'manifest.json',
        message: 'no conversations list',
      });
      manifest = undefined;
    }
    if (manifest && keyId && manifest.keyId && manifest.keyId !== keyId)
      problems.push({
        file: 'manifest.json',
        message: `says key ${manifest.keyId} signed it, verifying with key ${keyId}`,
      });
  }

  // 3. SHA256SUMS
  const sumsText = zip.files.get('SHA256SUMS')?.content?.toString('utf8');
  if (sumsText !== undefined) {
    const sums = parseSums(sumsText, problems);
    for (const [name, sha] of sums) {
      const f = zip.files.get(name);
      if (!f)
        problems.push({
          file: shown(name),
          message: 'listed in SHA256SUMS but missing from the package',
        });
      else if (f.sha256 !== sha)
        problems.push({
          file: shown(name),
          message: `SHA-256 ${f.sha256} is not the one in SHA256SUMS (${sha}): the file was altered`,
        });
    }
    for (const name of zip.files.keys())
      if (name !== 'SHA256SUMS' && !sums.has(name))
        problems.push({
          file: shown(name),
          message: 'not listed in SHA256SUMS (added to the package)',
        });
  }

  // 4. each conversation, 5. files no entry names
  let signaturesChecked = 0;
  if (manifest && key && keyId) {
    const named = new Set<string>();
    const ids = new Set<string>();
    for (const c of manifest.conversations) {
      if (ids.has(c.id))
        problems.push({
          file: 'manifest.json',
          message: `lists conversation ${c.id} twice`,
        });
      ids.add(c.id);
      if (c.audio?.file) {
        if (named.has(c.audio.file))
          problems.push({
            file: shown(c.audio.file),
            message: 'named by two manifest entries',
          });
        named.add(c.audio.file);
      }
      if (c.mp3?.file) named.add(c.mp3.file);
      signaturesChecked += checkConversation(c, zip, key, keyId, problems);
    }
    for (const name of zip.files.keys())
      if (/^(audio|mp3)\//.test(name) && !named.has(name))
        problems.push({
          file: shown(name),
          message:
            'no entry of manifest.json names this file (entry removed, or file added)',
        });
  }
  return report({
    keyId,
    keySource,
    conversations: manifest?.conversations.length ?? 0,
    files: zip.files.size,
    signaturesChecked,
  });
}
