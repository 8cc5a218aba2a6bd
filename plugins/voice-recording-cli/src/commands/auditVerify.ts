/*
 * mvr audit-verify --url <backend base URL> [--token <token>] [--public-key <pem file>]
 *   asks the backend to walk the audit trail's hash chain and its signed daily heads
 *   (GET /api/voice-recording/audit/verify, docs/audit-trail.md) and reports the
 *   result: the count and head hash, or the first broken link. With --public-key, it
 *   also fetches the signed heads (GET /audit/heads) and checks each signature here,
 *   with the installation's public key as the user pinned it: not trusting the
 *   backend's own verdict on them.
 *
 * The token: --token, else MVR_TOKEN (a user token with voice-recording.audit.read, or a
 * static service token). Exit code: 0 intact, 1 broken, 2 usage, network or HTTP error.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { promises as fs } from 'node:fs';
import nodePath from 'node:path';
import type { AuditChainVerification } from '@mvr/plugin-voice-recording-common';
import type { CliCommand } from '../index';
import type { CliIo } from '../io';

interface Args {
  url?: string;
  token?: string;
  publicKey?: string;
}

function parseArgs(args: string[]): Args | string {
  const out: Args = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) return undefined;
      return v;
    };
    const names: Record<string, keyof Args> = {
      '--url': 'url',
      '--token': 'token',
      '--public-key': 'publicKey',
    };
    const [flag, inline] = a.includes('=') ? a.split(/=(.*)/s) : [a];
    const name = names[flag];
    if (!name) return `unexpected argument ${a}`;
    const v = inline ?? value();
    if (v === undefined) return `${flag} needs a value`;
    out[name] = v;
  }
  return out;
}

const REASONS: Record<string, string> = {
  edited: 'an entry was changed',
  'deleted-before': 'entries were deleted',
  reordered: 'entries were moved',
  'bad-head-signature': 'a signed daily head does not verify',
  truncated: 'entries were removed from the end',
};

interface SignedHead {
  day: string;
  seq: number;
  hash: string;
  keyId: string;
  payload: string;
  signature: string;
}

/** Problems of the signed heads, checked with the pinned public key (none: []). */
export function headProblems(
  heads: SignedHead[],
  publicKeyPem: string,
): string[] {
  const key = createPublicKey(publicKeyPem);
  const keyId = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
  const problems: string[] = [];
  let lastSeq = -1;
  for (const h of heads) {
    const at = `FAIL head ${h.day}`;
    let ok = false;
    try {
      ok = verify(
        null,
        Buffer.from(h.payload, 'utf8'),
        key,
        Buffer.from(h.signature, 'base64'),
      );
    } catch {
      ok = false;
    }
    if (!ok) {
      problems.push(
        `${at}: the signature does not verify with the pinned key ${keyId} (signed with ${h.keyId})`,
      );
      continue;
    }
    let p: any;
    try {
      p = JSON.parse(h.payload);
    } catch {
      problems.push(`${at}: the signed payload is not JSON`);
      continue;
    }
    if (p.day !== h.day || p.seq !== h.seq || p.hash !== h.hash)
      problems.push(
        `${at}: the day, seq or hash served differ from what was signed (${p.day}, entry ${p.seq})`,
      );
    else if (h.seq < lastSeq)
      problems.push(
        `${at}: entry ${h.seq} comes before the previous day's ${lastSeq}`,
      );
    lastSeq = Math.max(lastSeq, h.seq);
  }
  return problems;
}

export const auditVerifyCommand: CliCommand = {
  usage: '--url <backend> [--token <token>] [--public-key <pem>]',
  description:
    "Asks the backend to verify the audit trail's hash chain and signed daily heads; names the first broken link.",
  async run(rawArgs, io: CliIo) {
    const args = parseArgs(rawArgs);
    if (typeof args === 'string' || !args.url) {
      io.err(
        `mvr audit-verify: ${
          typeof args === 'string'
            ? args
            : '--url <backend base URL> is required (e.g. http://localhost:7007)'
        }\nusage: mvr audit-verify ${auditVerifyCommand.usage}\n`,
      );
      return 2;
    }
    const token = args.token ?? process.env.MVR_TOKEN;
    const url = `${args.url.replace(
      /\/+$/,
      '',
    )}/api/voice-recording/audit/verify`;
    let res: Response;
    try {
      res = await io.fetch(url, {
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      });
    } catch (e) {
      io.err(
        `mvr audit-verify: cannot reach ${url}: ${(e as Error).message}\n`,
      );
      return 2;
    }
    const text = await res.text();
    if (!res.ok) {
      io.err(
        `mvr audit-verify: ${url} answered ${res.status}: ${text.slice(
          0,
          500,
        )}\n`,
      );
      return 2;
    }
    let v: AuditChainVerification;
    try {
      v = JSON.parse(text);
    } catch {
      io.err(`mvr audit-verify: ${url} did not answer JSON\n`);
      return 2;
    }
    const heads =
      v.signedHeads !== undefined
        ? `; ${v.signedHeads} signed daily head${
            v.signedHeads === 1 ? '' : 's'
          } checked${
            v.lastSignedDay ? `, the latest for ${v.lastSignedDay}` : ''
          }${
            v.unsignedEntries
              ? ` (${v.unsignedEntries} entries since, not signed yet)`
              : ''
          }`
        : '';
    let offline = 0;
    if (args.publicKey) {
      const keyPath = nodePath.resolve(io.cwd, args.publicKey);
      let pem: string;
      try {
        pem = await fs.readFile(keyPath, 'utf8');
        createPublicKey(pem);
      } catch (e) {
        io.err(
          `mvr audit-verify: cannot use the public key ${keyPath}: ${
            (e as Error).message
          }\n`,
        );
        return 2;
      }
      const headsUrl = url.replace(/\/verify$/, '/heads');
      let list: { items: SignedHead[] };
      try {
        const r = await io.fetch(headsUrl, {
          headers: {
            accept: 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        });
        if (!r.ok) throw new Error(`answered ${r.status}`);
        list = await r.json();
      } catch (e) {
        io.err(`mvr audit-verify: ${headsUrl}: ${(e as Error).message}\n`);
        return 2;
      }
      const problems = headProblems(list.items, pem);
      for (const p of problems) io.out(`${p}\n`);
      if (problems.length) {
        io.out(
          `audit trail: NOT VERIFIED, ${problems.length} signed head${
            problems.length === 1 ? '' : 's'
          } of ${list.items.length} failed the check with the pinned key\n`,
        );
        return 1;
      }
      offline = list.items.length;
    }
    const pinned = args.publicKey
      ? `; ${offline} signed head${
          offline === 1 ? '' : 's'
        } verified here with the pinned key`
      : '';
    const accepted = v.acceptedBreaks?.length
      ? `; breaks accepted after investigation: ${v.acceptedBreaks
          .map(b => `entry ${b.seq} (${b.reason})`)
          .join(', ')}`
      : '';
    if (v.ok) {
      io.out(
        `audit trail: OK. ${v.checked} entries verified, head hash ${
          v.headHash ?? '(empty trail)'
        }${heads}${pinned}${accepted}\n`,
      );
      return 0;
    }
    const b = v.firstBroken;
    if (b)
      io.out(
        `FAIL entry ${b.seq}: ${REASONS[b.reason] ?? b.reason} (${b.reason}): ${
          b.message
        }\n`,
      );
    io.out(
      `audit trail: NOT VERIFIED, broken${b ? ` at entry ${b.seq}` : ''}; ${
        v.checked
      } entries before it verified${heads}\n`,
    );
    return 1;
  },
};
