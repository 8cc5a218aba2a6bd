import type { AuditEntry } from '../../api/VoiceRecordingApi';
import { DateTime } from 'luxon';
import { formatDuration } from '../ConversationsPage/format';

/**
 * One piece of an audit sentence: plain text, a person (a catalog entity ref, shown by
 * display name and linked to the catalog), a conversation (linked to the call page) or
 * a recorded number (linked to the number page when its id is known).
 */
export type SentencePart =
  | { kind: 'text'; text: string }
  | { kind: 'person'; ref: string }
  | { kind: 'conversation'; id: string; label: string }
  | { kind: 'number'; number: string; id?: string };

type Template = (entry: AuditEntry) => SentencePart[];

const text = (t: string): SentencePart => ({ kind: 'text', text: t });
const person = (ref: string): SentencePart => ({ kind: 'person', ref });

function str(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value)
    ? value
    : undefined;
}

/**
 * `+32471234567 → +32476333444 (0:14)`: caller → callee with the length, from the
 * entry's details (`number`, `otherParty`, `direction`, `durationMs`); the recorded
 * number alone, or else the id, when the details do not say more.
 */
export function conversationLabel(entry: AuditEntry): string {
  const d = entry.details ?? {};
  const recorded = str(d.number);
  const other = str(d.otherParty);
  let label: string;
  if (recorded && other) {
    if (d.direction === 'incoming') label = `${other} → ${recorded}`;
    else if (d.direction === 'outgoing') label = `${recorded} → ${other}`;
    else label = `${recorded} ↔ ${other}`;
  } else {
    label = recorded ?? entry.targetId ?? 'unknown';
  }
  const ms = num(d.durationMs);
  return ms !== undefined ? `${label} (${formatDuration(ms)})` : label;
}

/** Outcomes of a recording's verification (docs/integrity.md). */
const INTEGRITY_OUTCOME_TEXT: Record<string, string> = {
  ok: 'intact and signed',
  signed: 'intact, signed now',
  unsigned: 'intact, not signed yet',
  mismatch: 'altered (hash mismatch)',
  missing: 'file missing',
  'bad-signature': 'signature does not verify',
};

function conversation(entry: AuditEntry): SentencePart[] {
  if (!entry.targetId) return [text('a conversation')];
  return [
    text('conversation '),
    {
      kind: 'conversation',
      id: entry.targetId,
      label: conversationLabel(entry),
    },
  ];
}

function numberTarget(entry: AuditEntry): SentencePart[] {
  const n = entry.targetId ?? str(entry.details?.number);
  if (!n) return [text('a number')];
  return [
    text('number '),
    { kind: 'number', number: n, id: str(entry.details?.id) },
  ];
}

/** `confirmed the recordings session of <user> (until …)`. */
/** Why a flag change ended a four-eyes session (`four-eyes-cancel`'s `reason`). */
const FOUR_EYES_CANCEL_REASON: Record<string, string> = {
  'flag-cleared': ' (four-eyes flag cleared)',
  'flag-set': ' (flagged four-eyes anew)',
  'observer-changed': ' (observer changed)',
};

function fourEyesSession(entry: AuditEntry, what: string): SentencePart[] {
  const user = str(entry.details?.userRef);
  const until = str(entry.details?.expiresAt);
  return [
    text(what),
    ...(user ? [person(user)] : [text('a user')]),
    ...(until && entry.action === 'four-eyes-confirm'
      ? [
          text(
            ` until ${DateTime.fromISO(until).toLocaleString(
              DateTime.DATETIME_MED,
            )}`,
          ),
        ]
      : []),
  ];
}

/** ` (on number +32…)` / ` (on conversation …)` etc.: the target of a generic entry. */
function anyTarget(entry: AuditEntry): SentencePart[] {
  if (!entry.targetId) return [];
  if (entry.targetType === 'conversation')
    return [text(' on '), ...conversation(entry)];
  if (entry.targetType === 'number')
    return [text(' on '), ...numberTarget(entry)];
  return [text(` on ${entry.targetType ?? 'target'} ${entry.targetId}`)];
}

function quoted(value: unknown, fallback: string): string {
  const s = str(value);
  return s ? `“${s}”` : fallback;
}

function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** `“Case: Falcon”`: an export's scope from the entry's details. */
function exportTitle(entry: AuditEntry): string {
  return quoted(entry.details?.scopeTitle, '');
}

/** ` (SHA-256 1a2b3c4d…)`: the start of an export package's hash, when known. */
function exportHash(entry: AuditEntry): string {
  const h = str(entry.details?.sha256);
  return h ? ` (SHA-256 ${h.slice(0, 12)}…)` : '';
}

/** `, requested by <person>`: who asked for an export the system built or deleted. */
function exportRequester(entry: AuditEntry): SentencePart[] {
  const by = str(entry.details?.requestedBy);
  return by ? [text(', requested by '), person(by)] : [];
}

/** `case “Fraud 12”` of an entry about a case or an access request to one. */
function caseName(entry: AuditEntry): string {
  const d = entry.details ?? {};
  const title = str(d.caseTitle) ?? str(d.title);
  if (title) return `case “${title}”`;
  const id =
    str(d.caseId) ?? (entry.targetType === 'case' ? entry.targetId : undefined);
  return id ? `case ${id}` : 'a case';
}

/** ` (play, download)`: the rights an access request asks for or grants. */
function rightsText(value: unknown): string {
  const rights = Array.isArray(value)
    ? value.filter((r): r is string => typeof r === 'string')
    : [];
  return rights.length ? ` (${rights.join(', ')})` : '';
}

/** `the access request of <requester> to case “…”`. */
/** ` “HC-2026-017”`: a legal hold's reference from the entry's details, or nothing. */
function holdReference(entry: AuditEntry): string {
  const ref = str(entry.details?.reference);
  return ref ? ` “${ref}”` : '';
}

/** `, requested by <person>`: who requested a hold's release, when the details say. */
function holdRequester(entry: AuditEntry): SentencePart[] {
  const by = str(entry.details?.requestedBy);
  return by ? [text(', requested by '), person(by)] : [];
}

function accessRequest(
  entry: AuditEntry,
  what = 'the access request',
): SentencePart[] {
  const requester = str(entry.details?.requesterRef);
  return [
    text(`${what} `),
    ...(requester ? [text('of '), person(requester), text(' ')] : []),
    text(`to ${caseName(entry)}`),
  ];
}

const ALARM_KIND_TEXT: Record<string, string> = {
  'silent-number': 'the silent-number alarm',
  refusals: 'the refused-calls alarm',
  'failed-quality': 'the failed-quality alarm',
  'idle-recorder': 'the idle-recorder alarm',
};
const ALARM_EVENT_TEXT: Record<string, string> = {
  raised: 'raised',
  reraised: 'raised again',
  resolved: 'resolved',
};

/** `raised the silent-number alarm of number +32… ` / `… of recorder siprec@b`. */
function recordingAlarm(entry: AuditEntry, what: string): SentencePart[] {
  const d = entry.details ?? {};
  const kind = str(d.kind);
  const number = str(d.number);
  const recorder = str(d.recorderInstance);
  let subject: SentencePart[] = [];
  if (number)
    subject = [
      text(' of number '),
      { kind: 'number', number, id: str(d.numberId) },
    ];
  else if (recorder) subject = [text(` of recorder ${recorder}`)];
  return [
    text(`${what}${(kind && ALARM_KIND_TEXT[kind]) ?? 'a recording alarm'}`),
    ...subject,
  ];
}

function labelTitle(value: unknown, fallback: string): string {
  return quoted(value, fallback);
}

/**
 * The sentence after the actor's name, per audit action of the backend (every
 * `action:` of plugins/voice-recording-backend). Pure: no React, no API.
 */
export const AUDIT_SENTENCES: Record<string, Template> = {
  // Conversations
  'conversation-search': e => {
    const d = e.details ?? {};
    const total = num(d.total);
    const found = total !== undefined ? ` (${plural(total, 'result')})` : '';
    if (e.targetType === 'phone' && e.targetId)
      return [text(`searched conversations with ${e.targetId}${found}`)];
    if (e.targetType === 'number' && e.targetId)
      return [
        text('searched conversations of '),
        ...numberTarget(e),
        text(found),
      ];
    return [text(`searched conversations${found}`)];
  },
  'conversation-view': e => [text('opened '), ...conversation(e)],
  'conversation-playback': e => [text('played '), ...conversation(e)],
  'conversation-audio': e => [
    text('fetched the audio of '),
    ...conversation(e),
  ],
  'conversation-download': e => [
    text('downloaded '),
    ...conversation(e),
    text(' as MP3'),
  ],
  'conversation-export': e => {
    if (e.targetType === 'conversation')
      return [text('exported '), ...conversation(e)];
    const d = e.details ?? {};
    const count =
      num(d.count) ?? (Array.isArray(d.ids) ? d.ids.length : undefined);
    return [
      text(
        count !== undefined
          ? `exported ${plural(count, 'conversation')} as a ZIP`
          : 'exported conversations as a ZIP',
      ),
    ];
  },
  // Regulator exports (packages built in the background)
  'export-create': e => [
    text(`requested the export ${exportTitle(e)}`),
    ...(e.details?.includeMp3 === true ? [text(' with MP3 copies')] : []),
  ],
  'export-complete': e => [
    text(
      `finished the export ${exportTitle(e)}${
        num(e.details?.count) !== undefined
          ? `: ${plural(num(e.details?.count)!, 'recording')}`
          : ''
      }${exportHash(e)}`,
    ),
    ...exportRequester(e),
  ],
  'export-fail': e => [
    text(`could not build the export ${exportTitle(e)}`),
    ...exportRequester(e),
  ],
  'export-download': e => [
    text(`downloaded the export ${exportTitle(e)}${exportHash(e)}`),
  ],
  'export-delete': e => [text(`deleted the export ${exportTitle(e)}`)],
  'export-expire': e => [
    text(`deleted the expired export ${exportTitle(e)}`),
    ...exportRequester(e),
  ],
  'conversation-start': e => [text('started recording '), ...conversation(e)],
  'conversation-finish': e => [
    text('finished recording '),
    ...conversation(e),
    ...(str(e.details?.state) && e.details?.state !== 'finished'
      ? [text(` (${str(e.details?.state)})`)]
      : []),
  ],
  // begun after the call was refused with 503 (issue 20): kept as a refused session
  'conversation-withdrawn': e => [
    text('withdrew '),
    ...conversation(e),
    text(' (its start was stored after the call was refused with 503)'),
  ],
  'conversation-archive-compressed': e => [
    text('compressed the recording of '),
    ...conversation(e),
  ],
  // Integrity (docs/integrity.md)
  'recording-sign-failed': e => [
    text('could not sign the recording of '),
    ...conversation(e),
    text(' (the integrity sweep signs it)'),
  ],
  'recording-signed': e => [
    text('signed the unsigned recording of '),
    ...conversation(e),
    ...(str(e.details?.keyId)
      ? [text(` with key ${str(e.details?.keyId)}`)]
      : []),
  ],
  'conversation-verify': e => [
    text('verified '),
    ...conversation(e),
    text(
      str(e.details?.result)
        ? `: ${
            INTEGRITY_OUTCOME_TEXT[str(e.details?.result)!] ??
            str(e.details?.result)
          }`
        : '',
    ),
  ],
  'integrity-mismatch': e => [
    text('raised the integrity alarm on '),
    ...conversation(e),
    text(
      str(e.details?.result)
        ? `: ${
            INTEGRITY_OUTCOME_TEXT[str(e.details?.result)!] ??
            str(e.details?.result)
          }`
        : '',
    ),
  ],
  'integrity-sweep': e => {
    const d = e.details ?? {};
    const n = (k: string) => Number(d[k] ?? 0);
    return [
      text(
        `ran the integrity sweep: ${plural(
          n('checked'),
          'recording',
        )} re-hashed, ${n('mismatches')} altered, ${n('missing')} missing, ${n(
          'signed',
        )} signed`,
      ),
    ];
  },
  'integrity-sweep-start': () => [text('started an integrity sweep')],
  'integrity-notification': e => [
    text(
      `sent an integrity alarm notification (${plural(
        Number(e.details?.findings ?? 0),
        'recording',
      )})`,
    ),
  ],
  'recording-refused': e => {
    const d = e.details ?? {};
    const n = str(d.number);
    const reason = str(d.reason);
    return [
      text('refused to record a call'),
      ...(n
        ? [text(' of number '), { kind: 'number' as const, number: n }]
        : []),
      ...(reason ? [text(` (${reason})`)] : []),
    ];
  },
  // Numbers
  'number-create': e => {
    const owner = str(e.details?.userRef);
    return [
      text('added '),
      ...numberTarget(e),
      ...(owner ? [text(' for '), person(owner)] : []),
    ];
  },
  'number-update': e => [text('changed the settings of '), ...numberTarget(e)],
  'number-delete': e => [text('deleted '), ...numberTarget(e)],
  'number-slot-add': e => [
    text('added a recording slot to '),
    ...numberTarget(e),
  ],
  'number-slot-delete': e => [
    text('removed a recording slot from '),
    ...numberTarget(e),
  ],
  'number-apply-planning-model': e => [
    text(
      `applied the planning model ${quoted(
        e.details?.planningModel,
        'a planning model',
      )} to `,
    ),
    ...numberTarget(e),
  ],
  'number-professional-mode': e => {
    const enabled = e.details?.enabled;
    let mode: string | undefined;
    if (enabled === true) mode = 'Professional';
    if (enabled === false) mode = 'Private';
    return mode
      ? [text('switched '), ...numberTarget(e), text(` to ${mode}`)]
      : [text('changed the manual status of '), ...numberTarget(e)];
  },
  'status-change-notification': e => {
    const who = str(e.details?.userRef);
    return [
      text('notified '),
      ...(who ? [person(who)] : [text('the owner')]),
      text(' that the status of '),
      ...numberTarget(e),
      text(' changed'),
    ];
  },
  // Schedules
  'planning-model-create': e => [
    text(
      `created the planning model ${quoted(e.details?.name, e.targetId ?? '')}`,
    ),
  ],
  'planning-model-update': e => [
    text(
      `changed the planning model ${quoted(e.details?.name, e.targetId ?? '')}`,
    ),
  ],
  'planning-model-delete': e => [
    text(
      `deleted the planning model ${quoted(e.details?.name, e.targetId ?? '')}`,
    ),
  ],
  'bulk-import': e => {
    const d = e.details ?? {};
    const applied = num(d.applied);
    const unchanged = num(d.unchanged);
    const counts =
      applied !== undefined && unchanged !== undefined
        ? ` (${applied} changed, ${unchanged} unchanged)`
        : '';
    return [
      text(
        d.dryRun === true
          ? `checked a bulk schedule without applying it${counts}`
          : `imported a bulk schedule${counts}`,
      ),
    ];
  },
  // Cases and labels
  'case-create': e => [text(`created ${caseName(e)}`)],
  'case-update': e => [text(`changed ${caseName(e)}`)],
  'case-close': e => [text(`closed ${caseName(e)}`)],
  'label-create': e => [
    text(`created the label ${labelTitle(e.details?.title, e.targetId ?? '')}`),
  ],
  'label-update': e => {
    const before = e.details?.before as Record<string, unknown> | undefined;
    const after = e.details?.after as Record<string, unknown> | undefined;
    const from = labelTitle(before?.title, e.targetId ?? '');
    const to = str(after?.title);
    return [
      text(
        `changed the label ${from}${
          to && to !== str(before?.title) ? ` (now “${to}”)` : ''
        }`,
      ),
    ];
  },
  'conversation-label-add': e => [text('labelled '), ...conversation(e)],
  'conversation-label-remove': e => [
    text('removed a label from '),
    ...conversation(e),
  ],
  // Legal holds (on a case's label)
  'legal-hold-place': e => [
    text(`placed a legal hold${holdReference(e)} on ${caseName(e)}`),
  ],
  'legal-hold-release-request': e => [
    text(
      `requested the release of the legal hold${holdReference(e)} on ${caseName(
        e,
      )}`,
    ),
  ],
  'legal-hold-release-approve': e => [
    text(
      `approved the release of the legal hold${holdReference(e)} on ${caseName(
        e,
      )}`,
    ),
    ...holdRequester(e),
  ],
  'legal-hold-release-reject': e => [
    text(
      `rejected the release of the legal hold${holdReference(e)} on ${caseName(
        e,
      )}`,
    ),
    ...holdRequester(e),
  ],
  'legal-hold-release-cancel': e => [
    text(
      `withdrew their request to release the legal hold${holdReference(
        e,
      )} on ${caseName(e)}`,
    ),
  ],
  'legal-hold-notification': e => [
    text(
      `told the admins of a step of the legal hold ${
        str(e.details?.event) ? `(${str(e.details?.event)}) ` : ''
      }${e.targetId ?? ''}`.trimEnd(),
    ),
  ],
  // Access requests
  'access-request-create': e => [
    text(`requested access${rightsText(e.details?.rights)} to ${caseName(e)}`),
  ],
  'access-request-approve': e => [
    ...accessRequest(e, 'approved the access request'),
  ],
  'access-request-manager-approve': e => [
    ...accessRequest(e, 'approved as manager the access request'),
  ],
  'access-request-reject': e => [
    ...accessRequest(e, 'rejected the access request'),
  ],
  'access-request-revoke': e => [...accessRequest(e, 'revoked the access')],
  'access-request-expire': e => [
    ...accessRequest(e, 'recorded the expiry of the access request'),
  ],
  'access-request-notification': e => [
    ...accessRequest(e, 'sent a notification about the access request'),
  ],
  // Four-eyes access
  'four-eyes-set': e => {
    const observer = str(e.details?.observerRef);
    return [
      text('flagged '),
      ...(e.targetId ? [person(e.targetId)] : [text('a user')]),
      text(' four-eyes'),
      ...(observer ? [text(', observed by '), person(observer)] : []),
    ];
  },
  'four-eyes-clear': e => [
    text('cleared the four-eyes flag of '),
    ...(e.targetId ? [person(e.targetId)] : [text('a user')]),
  ],
  'four-eyes-ask': e => {
    const observer = str(e.details?.observerRef);
    return [
      text('asked for an observer’s confirmation to open recordings'),
      ...(observer ? [text(' ('), person(observer), text(')')] : []),
    ];
  },
  'four-eyes-confirm': e =>
    fourEyesSession(e, 'confirmed the recordings session of '),
  'four-eyes-reject': e =>
    fourEyesSession(e, 'rejected the recordings session of '),
  'four-eyes-expire': e =>
    fourEyesSession(e, 'recorded the end of the recordings session of '),
  'four-eyes-cancel': e => [
    ...fourEyesSession(e, 'ended the recordings session of '),
    text(
      FOUR_EYES_CANCEL_REASON[str(e.details?.reason) ?? ''] ??
        ' (four-eyes flag changed)',
    ),
  ],
  'four-eyes-notification': () => [text('sent a four-eyes notification')],
  // Recording health
  'recording-alarm-raise': e => recordingAlarm(e, 'raised '),
  'recording-alarm-reraise': e => recordingAlarm(e, 'raised again '),
  'recording-alarm-resolve': e => [
    ...recordingAlarm(e, 'resolved '),
    ...(str(e.details?.resolution)
      ? [text(`: ${str(e.details?.resolution)}`)]
      : []),
  ],
  'recording-alarm-acknowledge': e => [
    ...recordingAlarm(e, 'acknowledged '),
    ...(str(e.details?.comment)
      ? [text(`: ${quoted(e.details?.comment, '')}`)]
      : []),
  ],
  // archive work queue (docs/deployment.md#archive-work-queue)
  'archive-job-retry': e => [
    text(
      `retried the dead ${str(e.details?.kind) ?? 'archive'} job ${
        e.targetId ?? ''
      }`.trimEnd(),
    ),
    ...(str(e.details?.conversationId)
      ? [
          text(' of '),
          ...conversation({ ...e, targetId: str(e.details?.conversationId) }),
        ]
      : []),
    ...(str(e.details?.lastError)
      ? [text(` (it had failed: ${quoted(e.details?.lastError, '')})`)]
      : []),
  ],
  'recording-alarm-notification': e => {
    const event = str(e.details?.event);
    return [
      text(
        `sent a recording alarm notification${
          event ? ` (${ALARM_EVENT_TEXT[event] ?? event})` : ''
        }`,
      ),
    ];
  },
  'health-report-notification': e => [
    text(
      `announced the recording assurance report${
        e.targetId ? ` of ${e.targetId}` : ''
      } to the admins`,
    ),
  ],
  'health-report-read': e => [
    text(
      `read the recording assurance report${
        e.targetId ? ` of ${e.targetId}` : ''
      }${str(e.details?.format) ? ` (${str(e.details?.format)})` : ''}`,
    ),
  ],
  // Audit trail (docs/audit-trail.md)
  'audit-verify': e => {
    const d = e.details ?? {};
    const checked = num(d.checked);
    const count =
      checked !== undefined ? ` (${plural(checked, 'entry', 'entries')})` : '';
    if (d.ok === false) {
      const seq = num(d.brokenSeq);
      return [
        text(
          `verified the audit trail: BROKEN${
            seq !== undefined ? ` at entry ${seq}` : ''
          }${str(d.brokenReason) ? ` (${str(d.brokenReason)})` : ''}`,
        ),
      ];
    }
    return [text(`verified the audit trail: intact${count}`)];
  },
  'audit-chain-notification': e => {
    const seq = num(e.details?.brokenSeq);
    return [
      text(
        `told the admins that the audit trail is broken${
          seq !== undefined ? ` at entry ${seq}` : ''
        }`,
      ),
    ];
  },
  'audit-head-sign': e => {
    const d = e.details ?? {};
    const days = num(d.days);
    const to = str(d.to) ?? e.targetId;
    return [
      text(
        `signed the audit trail's chain head${
          days !== undefined && days > 1 ? `s of ${days} days up to` : ' of'
        } ${to ?? 'a past day'}`,
      ),
    ];
  },
  // Access
  'permission-denied': e => {
    const d = e.details ?? {};
    const attempted = str(d.attempted);
    const permission = str(d.permission);
    return [
      text(
        `was refused ${permission ? `the permission ${permission}` : 'access'}${
          attempted ? ` (${attempted})` : ''
        }`,
      ),
      ...anyTarget(e),
    ];
  },
  'request-refused': e => {
    const d = e.details ?? {};
    const request = [str(d.method), str(d.path)].filter(Boolean).join(' ');
    const status = str(d.status);
    const reason = str(d.error);
    return [
      text(
        `had a request refused${request ? `: ${request}` : ''}${
          status ? ` (${status})` : ''
        }${reason ? ` — ${reason}` : ''}`,
      ),
    ];
  },
  // Retention and disposal (docs/retention.md)
  'retention-policy-create': e => [
    text(
      `created the retention policy ${policyText(e, 'after')}${recomputedText(
        e,
      )}`,
    ),
  ],
  'retention-policy-update': e => [
    text(
      `changed the retention policy ${policyText(e, 'before')}${policyChange(
        e,
      )}${recomputedText(e)}`,
    ),
  ],
  'retention-policy-delete': e => [
    text(
      `deleted the retention policy ${policyText(e, 'before')}${recomputedText(
        e,
      )}`,
    ),
  ],
  'disposal-run': e => {
    const d = e.details ?? {};
    const how =
      d.trigger === 'manual' ? 'ran the disposal job' : 'disposal job ran';
    return [
      text(
        `${how}: ${plural(num(d.disposed) ?? 0, 'conversation')} disposed of, ${
          num(d.held) ?? 0
        } held, ${num(d.failed) ?? 0} failed`,
      ),
    ];
  },
  'disposal-batch': e => {
    const d = e.details ?? {};
    return [
      text(
        `disposed of ${plural(
          num(d.disposed) ?? 0,
          'conversation',
        )} past their retention end${
          num(d.failed) ? ` (${num(d.failed)} could not be deleted yet)` : ''
        }`,
      ),
    ];
  },
  'disposal-dry-run': e => [
    text(
      `ran a disposal dry run: ${plural(
        num(e.details?.due) ?? 0,
        'conversation',
      )} due, ${num(e.details?.held) ?? 0} held`,
    ),
  ],
  'disposal-log-export': e => [
    text(
      `downloaded the disposal log as CSV (${plural(
        num(e.details?.rows) ?? 0,
        'row',
      )})`,
    ),
  ],
  // System
  'capture-source-start': e => [
    text(`started the capture source ${e.targetId ?? ''}`.trimEnd()),
  ],
  'capture-source-stop': e => [
    text(`stopped the capture source ${e.targetId ?? ''}`.trimEnd()),
  ],
};

/** `"Trading desk" (P7Y)` from a retention policy entry's before/after. */
function policyText(e: AuditEntry, which: 'before' | 'after'): string {
  const p = (e.details?.[which] ?? {}) as Record<string, unknown>;
  const name = str(p.name);
  const period = str(p.period);
  return `${name ? `"${name}"` : e.targetId ?? ''}${
    period ? ` (${period})` : ''
  }`;
}

function policyChange(e: AuditEntry): string {
  const before = (e.details?.before ?? {}) as Record<string, unknown>;
  const after = (e.details?.after ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  if (str(after.name) && after.name !== before.name)
    parts.push(`renamed "${str(after.name)}"`);
  if (str(after.period) && after.period !== before.period)
    parts.push(`period ${str(before.period) ?? '?'} → ${str(after.period)}`);
  if (JSON.stringify(after.scope) !== JSON.stringify(before.scope))
    parts.push('scope changed');
  return parts.length ? `: ${parts.join(', ')}` : '';
}

function recomputedText(e: AuditEntry): string {
  const n = num(e.details?.recomputed);
  return n !== undefined ? `; ${plural(n, 'conversation')} re-computed` : '';
}

/** An action the portal has no sentence for (a newer backend's). */
function genericSentence(entry: AuditEntry): SentencePart[] {
  return [text(`did “${entry.action}”`), ...anyTarget(entry)];
}

/** The sentence of an entry after the actor: the action's template or the generic one. */
export function auditSentence(entry: AuditEntry): SentencePart[] {
  const template = Object.prototype.hasOwnProperty.call(
    AUDIT_SENTENCES,
    entry.action,
  )
    ? AUDIT_SENTENCES[entry.action]
    : genericSentence;
  return [person(entry.actorRef), text(' '), ...template(entry)];
}

/** The filter's action groups (every action above, in one group each). */
export const AUDIT_ACTION_GROUPS: Array<{
  label: string;
  actions: Array<{ action: string; label: string }>;
}> = [
  {
    label: 'Numbers',
    actions: [
      { action: 'number-create', label: 'Number added' },
      { action: 'number-update', label: 'Number settings changed' },
      { action: 'number-delete', label: 'Number deleted' },
      { action: 'number-slot-add', label: 'Slot added' },
      { action: 'number-slot-delete', label: 'Slot removed' },
      {
        action: 'number-apply-planning-model',
        label: 'Planning model applied',
      },
      { action: 'number-professional-mode', label: 'Manual status switched' },
      { action: 'status-change-notification', label: 'Status change notified' },
    ],
  },
  {
    label: 'Schedules',
    actions: [
      { action: 'planning-model-create', label: 'Planning model created' },
      { action: 'planning-model-update', label: 'Planning model changed' },
      { action: 'planning-model-delete', label: 'Planning model deleted' },
      { action: 'bulk-import', label: 'Bulk schedule imported' },
    ],
  },
  {
    label: 'Conversations',
    actions: [
      { action: 'conversation-verify', label: 'Verified' },
      { action: 'conversation-search', label: 'Searched' },
      { action: 'conversation-view', label: 'Opened' },
      { action: 'conversation-playback', label: 'Played' },
      { action: 'conversation-audio', label: 'Audio fetched' },
      { action: 'conversation-download', label: 'Downloaded' },
      { action: 'conversation-export', label: 'Exported' },
      { action: 'export-create', label: 'Regulator export requested' },
      { action: 'export-complete', label: 'Regulator export built' },
      { action: 'export-fail', label: 'Regulator export failed' },
      { action: 'export-download', label: 'Regulator export downloaded' },
      { action: 'export-delete', label: 'Regulator export deleted' },
      { action: 'export-expire', label: 'Regulator export expired' },
    ],
  },
  {
    label: 'Cases',
    actions: [
      { action: 'case-create', label: 'Case created' },
      { action: 'case-update', label: 'Case changed' },
      { action: 'case-close', label: 'Case closed' },
      { action: 'label-create', label: 'Label created' },
      { action: 'label-update', label: 'Label changed' },
      { action: 'conversation-label-add', label: 'Call labelled' },
      { action: 'conversation-label-remove', label: 'Call label removed' },
      { action: 'legal-hold-place', label: 'Legal hold placed' },
      {
        action: 'legal-hold-release-request',
        label: 'Legal hold release requested',
      },
      {
        action: 'legal-hold-release-approve',
        label: 'Legal hold released (approved)',
      },
      {
        action: 'legal-hold-release-reject',
        label: 'Legal hold release rejected',
      },
      {
        action: 'legal-hold-release-cancel',
        label: 'Legal hold release request withdrawn',
      },
      { action: 'legal-hold-notification', label: 'Legal hold notified' },
    ],
  },
  {
    label: 'Access',
    actions: [
      { action: 'permission-denied', label: 'Permission denied' },
      { action: 'request-refused', label: 'Request refused' },
      { action: 'access-request-create', label: 'Access requested' },
      {
        action: 'access-request-manager-approve',
        label: 'Access request approved by the manager',
      },
      { action: 'access-request-approve', label: 'Access request approved' },
      { action: 'access-request-reject', label: 'Access request rejected' },
      { action: 'access-request-revoke', label: 'Access revoked' },
      { action: 'access-request-expire', label: 'Access request expired' },
      { action: 'four-eyes-set', label: 'Four-eyes flag set' },
      { action: 'four-eyes-clear', label: 'Four-eyes flag cleared' },
      { action: 'four-eyes-ask', label: 'Four-eyes confirmation asked' },
      { action: 'four-eyes-confirm', label: 'Four-eyes session confirmed' },
      { action: 'four-eyes-reject', label: 'Four-eyes session rejected' },
      { action: 'four-eyes-expire', label: 'Four-eyes session ended' },
      {
        action: 'four-eyes-cancel',
        label: 'Four-eyes session ended by a flag change',
      },
    ],
  },
  {
    label: 'Recording health',
    actions: [
      { action: 'recording-alarm-raise', label: 'Recording alarm raised' },
      {
        action: 'recording-alarm-reraise',
        label: 'Recording alarm raised again',
      },
      { action: 'recording-alarm-resolve', label: 'Recording alarm resolved' },
      {
        action: 'recording-alarm-acknowledge',
        label: 'Recording alarm acknowledged',
      },
      {
        action: 'recording-alarm-notification',
        label: 'Recording alarm notified',
      },
      { action: 'archive-job-retry', label: 'Archive job retried' },
      { action: 'health-report-read', label: 'Assurance report read' },
      {
        action: 'health-report-notification',
        label: 'Assurance report announced',
      },
    ],
  },
  {
    label: 'System',
    actions: [
      { action: 'conversation-start', label: 'Recording started' },
      { action: 'conversation-finish', label: 'Recording finished' },
      { action: 'conversation-withdrawn', label: 'Recording withdrawn' },
      {
        action: 'conversation-archive-compressed',
        label: 'Recording compressed',
      },
      { action: 'recording-sign-failed', label: 'Recording not signed' },
      { action: 'recording-signed', label: 'Recording signed late' },
      { action: 'integrity-mismatch', label: 'Integrity alarm' },
      { action: 'integrity-sweep', label: 'Integrity sweep' },
      { action: 'integrity-sweep-start', label: 'Integrity sweep started' },
      {
        action: 'integrity-notification',
        label: 'Integrity alarm notified',
      },
      { action: 'recording-refused', label: 'Recording refused' },
      { action: 'capture-source-start', label: 'Capture source started' },
      { action: 'capture-source-stop', label: 'Capture source stopped' },
      {
        action: 'access-request-notification',
        label: 'Access request notified',
      },
      {
        action: 'four-eyes-notification',
        label: 'Four-eyes notification sent',
      },
      { action: 'retention-policy-create', label: 'Retention policy created' },
      { action: 'retention-policy-update', label: 'Retention policy changed' },
      { action: 'retention-policy-delete', label: 'Retention policy deleted' },
      { action: 'disposal-run', label: 'Disposal job run' },
      { action: 'disposal-batch', label: 'Conversations disposed of' },
      { action: 'disposal-dry-run', label: 'Disposal dry run' },
      { action: 'disposal-log-export', label: 'Disposal log downloaded' },
    ],
  },
  {
    label: 'Audit trail',
    actions: [
      { action: 'audit-verify', label: 'Audit trail verified' },
      { action: 'audit-head-sign', label: 'Audit chain head signed' },
      {
        action: 'audit-chain-notification',
        label: 'Audit trail alarm notified',
      },
    ],
  },
];

/**
 * Plain text of a sentence (for tests, titles and screen readers): people by their
 * display name from `names` (entity ref → name), else by the ref.
 */
export function sentenceText(
  parts: SentencePart[],
  names: ReadonlyMap<string, string> = new Map(),
): string {
  return parts
    .map(p => {
      switch (p.kind) {
        case 'text':
          return p.text;
        case 'person':
          return names.get(p.ref) ?? p.ref;
        case 'conversation':
          return p.label;
        case 'number':
          return p.number;
        default:
          return '';
      }
    })
    .join('');
}

/** One row of an entry's details table. */
export type DetailRow =
  | { kind: 'change'; field: string; before: string; after: string }
  | { kind: 'value'; key: string; value: string };

function display(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** `{ a: { b: 1 }, c: [x, y] }` → `[['a.b', 1], ['c', 'x, y']]`: dotted keys, leaves only. */
export function flattenDetails(
  value: unknown,
  prefix = '',
): Array<[string, unknown]> {
  if (Array.isArray(value)) {
    if (value.every(v => v === null || typeof v !== 'object'))
      return [[prefix, value.length ? value.map(display).join(', ') : '—']];
    return value.flatMap((v, i) =>
      flattenDetails(v, prefix ? `${prefix}.${i}` : String(i)),
    );
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return prefix ? [[prefix, '—']] : [];
    return entries.flatMap(([k, v]) =>
      flattenDetails(v, prefix ? `${prefix}.${k}` : k),
    );
  }
  return [[prefix, value]];
}

/**
 * The details of an entry as table rows: a change (`details.change`, with
 * `details.before` where the backend kept it; or `before`/`after`) as field / before /
 * after rows; every other key as key / value rows; nested values with dotted keys.
 */
export function auditDetailRows(
  details: Record<string, unknown> | undefined,
): DetailRow[] {
  if (!details) return [];
  const { change, before, after, ...rest } = details;
  const changed = change ?? after;
  const rows: DetailRow[] = [];
  if (changed !== undefined || before !== undefined) {
    const afterFlat = new Map(flattenDetails(changed ?? {}));
    const beforeFlat = new Map(flattenDetails(before ?? {}));
    const fields = [...new Set([...beforeFlat.keys(), ...afterFlat.keys()])];
    for (const field of fields) {
      rows.push({
        kind: 'change',
        field,
        before: beforeFlat.has(field) ? display(beforeFlat.get(field)) : '—',
        after: afterFlat.has(field) ? display(afterFlat.get(field)) : '—',
      });
    }
  }
  for (const [key, value] of flattenDetails(rest)) {
    rows.push({ kind: 'value', key, value: display(value) });
  }
  return rows;
}

/** `4 Dec 23:03` in the viewer's zone (with the year when it is not the current one). */
export function auditWhen(at: string, now: Date = new Date()): string {
  const dt = DateTime.fromISO(at);
  if (!dt.isValid) return at;
  return dt.toFormat(
    dt.year === DateTime.fromJSDate(now).year
      ? 'd LLL HH:mm'
      : 'd LLL yyyy HH:mm',
  );
}

/** `Played` for `conversation-playback`: the action's label in the filter, else the action. */
export function auditActionLabel(action: string): string {
  for (const g of AUDIT_ACTION_GROUPS) {
    const found = g.actions.find(a => a.action === action);
    if (found) return found.label;
  }
  return action;
}
