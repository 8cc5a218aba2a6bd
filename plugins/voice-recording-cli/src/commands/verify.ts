/*
 * mvr verify <export.zip> [--public-key <pem file>]
 *   offline: the package's hashes and signatures (src/verify/verifyPackage.ts)
 * mvr verify <conversation id> --url <backend base URL> --token <token>
 *   asks the backend to re-hash the stored archive and check its signature
 *   (POST /api/voice-recording/conversations/:id/verify)
 *
 * Exit code: 0 verified, 1 a check failed, 2 usage or I/O error.
 */
import { promises as fs } from 'node:fs';
import nodePath from 'node:path';
import type { CliCommand } from '../index';
import type { CliIo } from '../io';
import { shown, verifyExportPackage } from '../verify/verifyPackage';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface VerifyArgs {
  target?: string;
  publicKey?: string;
  url?: string;
  token?: string;
}

function parseArgs(args: string[]): VerifyArgs | string {
  const out: VerifyArgs = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string) => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--'))
        throw new Error(`${name} needs a value`);
      return v;
    };
    try {
      if (a === '--public-key') out.publicKey = value(a);
      else if (a.startsWith('--public-key=')) out.publicKey = a.slice(13);
      else if (a === '--url') out.url = value(a);
      else if (a.startsWith('--url=')) out.url = a.slice(6);
      else if (a === '--token') out.token = value(a);
      else if (a.startsWith('--token=')) out.token = a.slice(8);
      else if (a.startsWith('--')) return `unknown option ${a}`;
      else if (out.target)
        return `one package or conversation at a time (got ${out.target} and ${a})`;
      else out.target = a;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return out;
}

async function verifyPackage(args: VerifyArgs, io: CliIo): Promise<number> {
  const zipPath = nodePath.resolve(io.cwd, args.target!);
  let pinnedKeyPem: string | undefined;
  if (args.publicKey) {
    const keyPath = nodePath.resolve(io.cwd, args.publicKey);
    try {
      pinnedKeyPem = await fs.readFile(keyPath, 'utf8');
    } catch (e) {
      io.err(
        `mvr verify: cannot read the public key ${keyPath}: ${
          (e as Error).message
        }\n`,
      );
      return 2;
    }
  }
  let report;
  try {
    report = await verifyExportPackage(zipPath, { pinnedKeyPem });
  } catch (e) {
    io.err(`mvr verify: ${(e as Error).message}\n`);
    return 2;
  }
  const name = nodePath.basename(zipPath);
  if (!report.ok) {
    for (const p of report.problems) io.out(`FAIL ${p.file}: ${p.message}\n`);
    io.out(
      `${name}: NOT VERIFIED, ${report.problems.length} problem${
        report.problems.length === 1 ? '' : 's'
      }${
        report.keyId
          ? ` (key ${report.keyId}, ${
              report.keySource === 'pinned' ? 'pinned' : "the package's own"
            })`
          : ''
      }\n`,
    );
    return 1;
  }
  io.out(
    `${name}: OK. ${report.conversations} conversation${
      report.conversations === 1 ? '' : 's'
    }, ${report.files} files, SHA256SUMS, manifest.json.sig and ${
      report.signaturesChecked
    } recording signature${
      report.signaturesChecked === 1 ? '' : 's'
    } verified with key ${report.keyId} (${
      report.keySource === 'pinned'
        ? 'the pinned key'
        : "the package's public-key.pem: pin the key you were given with --public-key to rule out a re-signed package"
    })\n`,
  );
  return 0;
}

interface RemoteVerification {
  conversationId: string;
  ok: boolean;
  keyId?: string;
  sha256?: string;
  problems?: string[];
  checkedAt?: string;
}

async function verifyRemote(args: VerifyArgs, io: CliIo): Promise<number> {
  if (!args.url) {
    io.err(
      'mvr verify <conversation id>: --url <backend base URL> is required (e.g. http://localhost:7007)\n',
    );
    return 2;
  }
  const token = args.token ?? process.env.MVR_TOKEN;
  const url = `${args.url.replace(
    /\/+$/,
    '',
  )}/api/voice-recording/conversations/${encodeURIComponent(
    args.target!,
  )}/verify`;
  let res: Response;
  try {
    res = await io.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: '{}',
    });
  } catch (e) {
    io.err(`mvr verify: cannot reach ${url}: ${(e as Error).message}\n`);
    return 2;
  }
  const text = await res.text();
  if (!res.ok) {
    io.err(
      `mvr verify: ${url} answered ${res.status}: ${text.slice(0, 500)}\n`,
    );
    return 2;
  }
  let v: RemoteVerification;
  try {
    v = JSON.parse(text);
  } catch {
    io.err(`mvr verify: ${url} did not answer JSON\n`);
    return 2;
  }
  if (v.ok) {
    io.out(
      `conversation ${v.conversationId}: OK. The stored archive (SHA-256 ${v.sha256}) matches its signature with key ${v.keyId} (checked by the backend at ${v.checkedAt})\n`,
    );
    return 0;
  }
  for (const p of v.problems ?? [])
    io.out(`FAIL conversation ${shown(v.conversationId)}: ${p}\n`);
  io.out(`conversation ${shown(v.conversationId)}: NOT VERIFIED\n`);
  return 1;
}

export const verifyCommand: CliCommand = {
  usage:
    '<export.zip> [--public-key <pem>] | <conversation id> --url <backend> --token <token>',
  description:
    "Checks an export package offline (hashes, SHA256SUMS, manifest and recording signatures), or asks the backend to verify one conversation's stored archive.",
  async run(rawArgs, io) {
    const args = parseArgs(rawArgs);
    if (typeof args === 'string') {
      io.err(`mvr verify: ${args}\nusage: mvr verify ${verifyCommand.usage}\n`);
      return 2;
    }
    if (!args.target) {
      io.err(`usage: mvr verify ${verifyCommand.usage}\n`);
      return 2;
    }
    const asFile = await fs
      .stat(nodePath.resolve(io.cwd, args.target))
      .then(s => s.isFile())
      .catch(() => false);
    if (!asFile && UUID.test(args.target)) return verifyRemote(args, io);
    if (!asFile) {
      io.err(
        `mvr verify: ${nodePath.resolve(
          io.cwd,
          args.target,
        )} is not a file (nor a conversation id)\n`,
      );
      return 2;
    }
    return verifyPackage(args, io);
  },
};
