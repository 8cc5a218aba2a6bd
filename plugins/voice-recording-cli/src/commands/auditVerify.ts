/*
 * mvr audit-verify --url <backend base URL> [--token <token>]
 *   asks the backend to walk the audit trail's hash chain and its signed daily heads
 *   (GET /api/voice-recording/audit/verify, docs/audit-trail.md) and reports the
 *   result: the count and head hash, or the first broken link.
 *
 * The token: --token, else MVR_TOKEN (a user token with voice-recording.audit.read, or a
 * static service token). Exit code: 0 intact, 1 broken, 2 usage, network or HTTP error.
 */
import type { AuditChainVerification } from '@mvr/plugin-voice-recording-common';
import type { CliCommand } from '../index';
import type { CliIo } from '../io';

function parseArgs(args: string[]): { url?: string; token?: string } | string {
  const out: { url?: string; token?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) return undefined;
      return v;
    };
    if (a === '--url' || a === '--token') {
      const v = value();
      if (v === undefined) return `${a} needs a value`;
      out[a === '--url' ? 'url' : 'token'] = v;
    } else if (a.startsWith('--url=')) out.url = a.slice(6);
    else if (a.startsWith('--token=')) out.token = a.slice(8);
    else return `unexpected argument ${a}`;
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

export const auditVerifyCommand: CliCommand = {
  usage: '--url <backend> [--token <token>]',
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
    if (v.ok) {
      io.out(
        `audit trail: OK. ${v.checked} entries verified, head hash ${
          v.headHash ?? '(empty trail)'
        }${heads}\n`,
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
