import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from '../../api/VoiceRecordingApi';
import {
  AUDIT_ACTION_GROUPS,
  AUDIT_SENTENCES,
  auditActionLabel,
  auditDetailRows,
  auditSentence,
  auditWhen,
  conversationLabel,
  flattenDetails,
  sentenceText,
} from './auditSentences';

const NAMES = new Map([
  ['user:default/alice', 'Alice Martin'],
  ['user:default/carol', 'Carol Dubois'],
]);

const entry = (e: Partial<AuditEntry>): AuditEntry => ({
  id: '1',
  at: '2026-12-04T22:03:00Z',
  actorRef: 'user:default/alice',
  action: 'conversation-view',
  ...e,
});

const say = (e: Partial<AuditEntry>) =>
  sentenceText(auditSentence(entry(e)), NAMES);

const call = {
  number: '+32476333444',
  userRef: 'user:default/carol',
  direction: 'incoming',
  otherParty: '+32471234567',
  durationMs: 14_000,
};
const conv = (action: string, details: Record<string, unknown> = call) =>
  say({ action, targetType: 'conversation', targetId: 'c-1', details });
const num = (action: string, details: Record<string, unknown> = {}) =>
  say({
    action,
    targetType: 'number',
    targetId: '+32470123456',
    details: { id: 'n-1', ...details },
  });

/** Every audit action name of the backend's sources (not its tests). */
function backendActions(): string[] {
  const root = join(__dirname, '../../../../voice-recording-backend/src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name))
        files.push(path);
    }
  };
  walk(root);
  const actions = new Set<string>();
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/action: '([a-z-]+)'/g)) actions.add(m[1]);
    for (const m of source.matchAll(/recordAccess\(\s*\w+,\s*'([a-z-]+)'/g))
      actions.add(m[1]);
    // one of two actions: `action: approve ? 'a' : 'b'`, `const action = add ? 'a' : 'b'`
    for (const m of source.matchAll(
      /action(?::|\s*=(?!=))\s*[^,;]*?\?\s*'([a-z-]+)'\s*:\s*'([a-z-]+)'/g,
    )) {
      actions.add(m[1]);
      actions.add(m[2]);
    }
  }
  // the numbers-changed events (publishNumbersChanged) are no audit actions
  for (const event of ['upsert', 'delete', 'bulk']) actions.delete(event);
  return [...actions].sort();
}

describe('audit sentences', () => {
  it('has a sentence and a filter entry for every audit action of the backend', () => {
    const actions = backendActions();
    expect(actions).toEqual(
      expect.arrayContaining([
        'request-refused',
        'conversation-search',
        'conversation-finish',
        'permission-denied',
        'bulk-import',
        'conversation-audio',
        'access-request-approve',
        'access-request-reject',
        'case-close',
        'conversation-label-add',
      ]),
    );
    expect(Object.keys(AUDIT_SENTENCES).sort()).toEqual(actions);
    expect(
      AUDIT_ACTION_GROUPS.flatMap(g => g.actions.map(a => a.action)).sort(),
    ).toEqual(actions);
    expect(AUDIT_ACTION_GROUPS.map(g => g.label)).toEqual([
      'Numbers',
      'Schedules',
      'Conversations',
      'Cases',
      'Access',
      'Recording health',
      'System',
      'Audit trail',
    ]);
  });

  it('audit trail: verifications (intact or broken) and signed chain heads', () => {
    expect(
      say({
        action: 'audit-verify',
        targetType: 'audit-trail',
        details: { ok: true, checked: 1234, headHash: 'ab' },
      }),
    ).toBe('Alice Martin verified the audit trail: intact (1234 entries)');
    expect(
      say({
        action: 'audit-verify',
        details: {
          ok: false,
          checked: 16,
          brokenSeq: 17,
          brokenReason: 'edited',
        },
      }),
    ).toBe(
      'Alice Martin verified the audit trail: BROKEN at entry 17 (edited)',
    );
    expect(
      say({
        action: 'audit-head-sign',
        actorRef: 'plugin:voice-recording',
        targetType: 'audit-head',
        targetId: '2026-12-05',
        details: { days: 1, to: '2026-12-05' },
      }),
    ).toMatch(/signed the audit trail's chain head of 2026-12-05/);
    expect(
      say({
        action: 'audit-head-sign',
        targetId: '2026-12-05',
        details: { days: 3, from: '2026-12-03', to: '2026-12-05' },
      }),
    ).toMatch(
      /signed the audit trail's chain heads of 3 days up to 2026-12-05/,
    );
    expect(
      say({
        action: 'audit-chain-notification',
        actorRef: 'plugin:voice-recording',
        targetType: 'audit-trail',
        targetId: '17',
        details: { brokenSeq: 17, brokenReason: 'edited' },
      }),
    ).toMatch(/told the admins that the audit trail is broken at entry 17$/);
  });

  it('conversations: who did what to which call, named by its parties and length', () => {
    expect(conv('conversation-playback')).toBe(
      'Alice Martin played conversation +32471234567 → +32476333444 (0:14)',
    );
    expect(conv('conversation-view')).toBe(
      'Alice Martin opened conversation +32471234567 → +32476333444 (0:14)',
    );
    expect(conv('conversation-audio')).toBe(
      'Alice Martin fetched the audio of conversation +32471234567 → +32476333444 (0:14)',
    );
    expect(conv('conversation-download')).toBe(
      'Alice Martin downloaded conversation +32471234567 → +32476333444 (0:14) as MP3',
    );
    expect(
      conv('conversation-export', { ...call, direction: 'outgoing' }),
    ).toBe(
      'Alice Martin exported conversation +32476333444 → +32471234567 (0:14)',
    );
    expect(
      say({
        action: 'conversation-export',
        targetType: 'export',
        details: { ids: ['a', 'b', 'c'] },
      }),
    ).toBe('Alice Martin exported 3 conversations as a ZIP');
    expect(
      say({
        action: 'conversation-search',
        targetType: 'phone',
        targetId: '+32475111222',
        details: { total: 1 },
      }),
    ).toBe('Alice Martin searched conversations with +32475111222 (1 result)');
    expect(
      say({
        action: 'conversation-search',
        targetType: 'number',
        targetId: '+32470123456',
        details: { total: 12 },
      }),
    ).toBe(
      'Alice Martin searched conversations of number +32470123456 (12 results)',
    );
    expect(say({ action: 'conversation-search', details: {} })).toBe(
      'Alice Martin searched conversations',
    );
    // older entries without the parties: the recorded number, else the id
    expect(conv('conversation-view', { number: '+32476333444' })).toBe(
      'Alice Martin opened conversation +32476333444',
    );
    expect(conv('conversation-view', {})).toBe(
      'Alice Martin opened conversation c-1',
    );
  });

  it('recorder events: the capture source as actor, shown as it is', () => {
    const recorder = (action: string, details: Record<string, unknown>) =>
      say({
        actorRef: 'capture:siprec',
        action,
        targetType: 'conversation',
        targetId: 'c-1',
        details,
      });
    const { durationMs: _unknownYet, ...started } = call;
    expect(recorder('conversation-start', started)).toBe(
      'capture:siprec started recording conversation +32471234567 → +32476333444',
    );
    expect(
      recorder('conversation-finish', {
        number: '+32476333444',
        state: 'finished',
        durationMs: 14_000,
      }),
    ).toBe(
      'capture:siprec finished recording conversation +32476333444 (0:14)',
    );
    expect(
      recorder('conversation-finish', {
        number: '+32476333444',
        state: 'failed',
      }),
    ).toBe(
      'capture:siprec finished recording conversation +32476333444 (failed)',
    );
    expect(
      recorder('conversation-withdrawn', { number: '+32476333444' }),
    ).toBe(
      'capture:siprec withdrew conversation +32476333444 (its start was stored after the call was refused with 503)',
    );
    expect(
      recorder('conversation-archive-compressed', { number: '+32476333444' }),
    ).toBe(
      'capture:siprec compressed the recording of conversation +32476333444',
    );
    expect(
      say({
        actorRef: 'capture:siprec',
        action: 'recording-refused',
        targetType: 'refused-session',
        targetId: 'r-1',
        details: { reason: 'private', number: '+32470123456' },
      }),
    ).toBe(
      'capture:siprec refused to record a call of number +32470123456 (private)',
    );
    expect(
      say({
        actorRef: 'capture:siprec',
        action: 'capture-source-start',
        targetType: 'capture-source',
        targetId: 'siprec',
      }),
    ).toBe('capture:siprec started the capture source siprec');
    expect(
      say({
        actorRef: 'capture:siprec',
        action: 'capture-source-stop',
        targetType: 'capture-source',
        targetId: 'siprec',
      }),
    ).toBe('capture:siprec stopped the capture source siprec');
  });

  it('numbers and schedules', () => {
    expect(num('number-create', { userRef: 'user:default/carol' })).toBe(
      'Alice Martin added number +32470123456 for Carol Dubois',
    );
    expect(num('number-update', { change: { mvrActive: false } })).toBe(
      'Alice Martin changed the settings of number +32470123456',
    );
    expect(num('number-delete')).toBe(
      'Alice Martin deleted number +32470123456',
    );
    expect(num('number-slot-add')).toBe(
      'Alice Martin added a recording slot to number +32470123456',
    );
    expect(num('number-slot-delete')).toBe(
      'Alice Martin removed a recording slot from number +32470123456',
    );
    expect(
      num('number-apply-planning-model', { planningModel: 'Office hours' }),
    ).toBe(
      'Alice Martin applied the planning model “Office hours” to number +32470123456',
    );
    expect(num('number-professional-mode', { enabled: true })).toBe(
      'Alice Martin switched number +32470123456 to Professional',
    );
    expect(num('number-professional-mode', { enabled: false })).toBe(
      'Alice Martin switched number +32470123456 to Private',
    );
    expect(
      num('status-change-notification', {
        userRef: 'user:default/carol',
        notifier: 'email',
      }),
    ).toBe(
      'Alice Martin notified Carol Dubois that the status of number +32470123456 changed',
    );
    const model = (action: string) =>
      say({
        action,
        targetType: 'planning-model',
        targetId: 'pm-1',
        details: { name: 'Office hours' },
      });
    expect(model('planning-model-create')).toBe(
      'Alice Martin created the planning model “Office hours”',
    );
    expect(model('planning-model-update')).toBe(
      'Alice Martin changed the planning model “Office hours”',
    );
    expect(model('planning-model-delete')).toBe(
      'Alice Martin deleted the planning model “Office hours”',
    );
    expect(
      say({
        action: 'bulk-import',
        details: { applied: 7, unchanged: 2, dryRun: false },
      }),
    ).toBe('Alice Martin imported a bulk schedule (7 changed, 2 unchanged)');
    expect(
      say({
        action: 'bulk-import',
        details: { applied: 7, unchanged: 2, dryRun: true },
      }),
    ).toBe(
      'Alice Martin checked a bulk schedule without applying it (7 changed, 2 unchanged)',
    );
  });

  it('refusals', () => {
    expect(
      num('permission-denied', { permission: 'voice-recording.number.update' }),
    ).toBe(
      'Alice Martin was refused the permission voice-recording.number.update on number +32470123456',
    );
    expect(
      say({
        action: 'permission-denied',
        targetType: 'conversation',
        targetId: 'c-1',
        details: {
          permission: 'voice-recording.conversation.read',
          attempted: 'conversation-playback',
        },
      }),
    ).toBe(
      'Alice Martin was refused the permission voice-recording.conversation.read (conversation-playback) on conversation c-1',
    );
    expect(
      say({
        action: 'request-refused',
        details: {
          method: 'POST',
          path: '/bulk/import',
          status: 400,
          error: '7 lines have errors',
        },
      }),
    ).toBe(
      'Alice Martin had a request refused: POST /bulk/import (400) — 7 lines have errors',
    );
  });

  it('four-eyes: who was flagged with which observer, asked, confirmed or rejected, by name', () => {
    const flag = { targetType: 'user', targetId: 'user:default/carol' };
    expect(
      say({
        ...flag,
        action: 'four-eyes-set',
        details: { observerRef: 'group:default/observers' },
      }),
    ).toBe(
      'Alice Martin flagged Carol Dubois four-eyes, observed by group:default/observers',
    );
    expect(say({ ...flag, action: 'four-eyes-clear' })).toBe(
      'Alice Martin cleared the four-eyes flag of Carol Dubois',
    );
    const session = {
      targetType: 'four-eyes-session',
      targetId: 's-1',
      details: {
        userRef: 'user:default/carol',
        observerRef: 'group:default/observers',
      },
    };
    expect(say({ ...session, action: 'four-eyes-reject' })).toBe(
      'Alice Martin rejected the recordings session of Carol Dubois',
    );
    expect(
      say({
        ...session,
        action: 'four-eyes-cancel',
        details: { ...session.details, reason: 'flag-cleared' },
      }),
    ).toBe(
      'Alice Martin ended the recordings session of Carol Dubois (four-eyes flag cleared)',
    );
    expect(
      say({
        ...session,
        action: 'four-eyes-confirm',
        details: { ...session.details, expiresAt: '2026-12-06T10:00:00Z' },
      }),
    ).toMatch(
      /^Alice Martin confirmed the recordings session of Carol Dubois until /,
    );
  });

  it('recording health: which alarm of which number or recorder, the resolution and the comment', () => {
    const alarm = {
      targetType: 'recording-alarm',
      targetId: 'a-1',
      details: {
        kind: 'silent-number',
        numberId: 'n-1',
        number: '+32470123456',
        summary: 'No recorded call for 27 expected-recording hours',
      },
    };
    const system = { actorRef: 'plugin:voice-recording' };
    expect(say({ ...alarm, ...system, action: 'recording-alarm-raise' })).toBe(
      'plugin:voice-recording raised the silent-number alarm of number +32470123456',
    );
    expect(
      say({ ...alarm, ...system, action: 'recording-alarm-reraise' }),
    ).toBe(
      'plugin:voice-recording raised again the silent-number alarm of number +32470123456',
    );
    expect(
      say({
        ...alarm,
        ...system,
        action: 'recording-alarm-resolve',
        details: { ...alarm.details, resolution: 'Calls are recorded again.' },
      }),
    ).toBe(
      'plugin:voice-recording resolved the silent-number alarm of number +32470123456: Calls are recorded again.',
    );
    expect(
      say({
        ...alarm,
        action: 'recording-alarm-acknowledge',
        details: { ...alarm.details, comment: 'Operator ticket 4711' },
      }),
    ).toBe(
      'Alice Martin acknowledged the silent-number alarm of number +32470123456: “Operator ticket 4711”',
    );
    expect(
      say({
        ...system,
        targetType: 'recording-alarm',
        targetId: 'a-2',
        action: 'recording-alarm-raise',
        details: { kind: 'idle-recorder', recorderInstance: 'siprec@b' },
      }),
    ).toBe(
      'plugin:voice-recording raised the idle-recorder alarm of recorder siprec@b',
    );
    expect(
      say({
        ...system,
        action: 'recording-alarm-notification',
        details: { event: 'reraised' },
      }),
    ).toBe(
      'plugin:voice-recording sent a recording alarm notification (raised again)',
    );
    expect(
      say({
        action: 'health-report-read',
        targetId: '2026-12-05',
        details: { format: 'csv' },
      }),
    ).toBe(
      'Alice Martin read the recording assurance report of 2026-12-05 (csv)',
    );
    expect(
      say({
        ...system,
        action: 'health-report-notification',
        targetId: '2026-12-05',
      }),
    ).toBe(
      'plugin:voice-recording announced the recording assurance report of 2026-12-05 to the admins',
    );
  });

  it('cases, labels and access requests: the case by its title, the requester by name', () => {
    const request = {
      targetType: 'access-request',
      targetId: 'ar-1',
      details: {
        caseId: 'k-1',
        caseTitle: 'Fraud 12',
        requesterRef: 'user:default/carol',
        rights: ['play', 'download'],
      },
    };
    expect(say({ ...request, action: 'access-request-create' })).toBe(
      'Alice Martin requested access (play, download) to case “Fraud 12”',
    );
    expect(say({ ...request, action: 'access-request-approve' })).toBe(
      'Alice Martin approved the access request of Carol Dubois to case “Fraud 12”',
    );
    expect(say({ ...request, action: 'access-request-reject' })).toBe(
      'Alice Martin rejected the access request of Carol Dubois to case “Fraud 12”',
    );
    expect(say({ ...request, action: 'access-request-revoke' })).toBe(
      'Alice Martin revoked the access of Carol Dubois to case “Fraud 12”',
    );
    expect(
      say({
        action: 'case-close',
        targetType: 'case',
        targetId: 'k-1',
        details: { title: 'Fraud 12', status: 'closed' },
      }),
    ).toBe('Alice Martin closed case “Fraud 12”');
    expect(
      say({
        action: 'label-update',
        targetType: 'label',
        targetId: 'l-1',
        details: { before: { title: 'Fraud' }, after: { title: 'Fraud (EU)' } },
      }),
    ).toBe('Alice Martin changed the label “Fraud” (now “Fraud (EU)”)');
    expect(conv('conversation-label-add')).toBe(
      'Alice Martin labelled conversation +32471234567 → +32476333444 (0:14)',
    );
    expect(auditActionLabel('access-request-revoke')).toBe('Access revoked');
  });

  it('an unknown action (a newer backend) falls back to a generic sentence', () => {
    expect(
      say({ action: 'case-open', targetType: 'case', targetId: 'K-7' }),
    ).toBe('Alice Martin did “case-open” on case K-7');
    expect(say({ action: 'toString' })).toBe('Alice Martin did “toString”');
    expect(auditActionLabel('case-open')).toBe('case-open');
    expect(auditActionLabel('conversation-playback')).toBe('Played');
  });

  it('people without a known name, and the links', () => {
    const parts = auditSentence(
      entry({
        action: 'conversation-playback',
        targetType: 'conversation',
        targetId: 'c-1',
        details: call,
      }),
    );
    expect(parts[0]).toEqual({ kind: 'person', ref: 'user:default/alice' });
    expect(parts).toContainEqual({
      kind: 'conversation',
      id: 'c-1',
      label: '+32471234567 → +32476333444 (0:14)',
    });
    expect(sentenceText(parts)).toMatch(/^user:default\/alice played/);
    expect(
      auditSentence(
        entry({
          action: 'number-delete',
          targetType: 'number',
          targetId: '+32470123456',
          details: { id: 'n-1' },
        }),
      ),
    ).toContainEqual({ kind: 'number', number: '+32470123456', id: 'n-1' });
    expect(
      conversationLabel(entry({ details: { number: '+1', otherParty: '+2' } })),
    ).toBe('+1 ↔ +2');
  });

  it('says which dead archive job an admin retried, of which conversation', () => {
    expect(
      say({
        actorRef: 'user:default/alice',
        action: 'archive-job-retry',
        targetType: 'archive-job',
        targetId: '42',
        details: {
          kind: 'upload',
          subject: 'recordings/2026/12/06/call.wav',
          conversationId: 'c-1',
          lastError: 'S3 <unreachable>',
          previousAttempts: 8,
        },
      }),
    ).toBe(
      'Alice Martin retried the dead upload job 42 of conversation c-1 (it had failed: “S3 <unreachable>”)',
    );
  });

  it('time: day, month and time, the year when not this one', () => {
    const now = new Date('2026-12-05T10:00:00Z');
    expect(auditWhen('2026-12-04T22:03:00', now)).toBe('4 Dec 22:03');
    expect(auditWhen('2025-12-04T22:03:00', now)).toBe('4 Dec 2025 22:03');
    expect(auditWhen('nonsense', now)).toBe('nonsense');
  });
});

describe('audit details', () => {
  it('flattens nested values with dotted keys', () => {
    expect(
      flattenDetails({
        slot: { weekday: 1, from: '08:00' },
        participants: ['+1', '+2'],
        audioLost: [{ channel: 0, ms: 20 }],
        empty: {},
      }),
    ).toEqual([
      ['slot.weekday', 1],
      ['slot.from', '08:00'],
      ['participants', '+1, +2'],
      ['audioLost.0.channel', 0],
      ['audioLost.0.ms', 20],
      ['empty', '—'],
    ]);
  });

  it('a change as field / before / after rows, the rest as key / value', () => {
    expect(
      auditDetailRows({
        id: 'n-1',
        before: { settings: { mvrActive: true, timezone: 'Europe/Brussels' } },
        change: {
          settings: { mvrActive: false },
          userRef: 'user:default/carol',
        },
      }),
    ).toEqual([
      {
        kind: 'change',
        field: 'settings.mvrActive',
        before: 'yes',
        after: 'no',
      },
      {
        kind: 'change',
        field: 'settings.timezone',
        before: 'Europe/Brussels',
        after: '—',
      },
      {
        kind: 'change',
        field: 'userRef',
        before: '—',
        after: 'user:default/carol',
      },
      { kind: 'value', key: 'id', value: 'n-1' },
    ]);
    expect(auditDetailRows({ permission: 'p', planningModelId: null })).toEqual(
      [
        { kind: 'value', key: 'permission', value: 'p' },
        { kind: 'value', key: 'planningModelId', value: '—' },
      ],
    );
    expect(auditDetailRows(undefined)).toEqual([]);
  });
});
