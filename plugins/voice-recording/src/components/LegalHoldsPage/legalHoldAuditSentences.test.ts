import type { AuditEntry } from '../../api/VoiceRecordingApi';
import { auditSentence, sentenceText } from '../AuditPage/auditSentences';

const NAMES = new Map([
  ['user:default/alice', 'Alice Martin'],
  ['user:default/ivy', 'Ivy Peeters'],
]);

const say = (action: string, details: Record<string, unknown>, actor = 'ivy') =>
  sentenceText(
    auditSentence({
      id: '1',
      at: '2026-12-06T07:00:00Z',
      actorRef: `user:default/${actor}`,
      action,
      targetType: 'legal-hold',
      targetId: 'h-1',
      details,
    } as AuditEntry),
    NAMES,
  );

const hold = {
  caseId: 'case-1',
  caseTitle: 'Client Y litigation',
  reference: 'HC-2026-017',
};

describe('legal hold audit sentences', () => {
  it('names the hold by its reference and case, and the requester of a release', () => {
    expect(say('legal-hold-place', hold, 'alice')).toBe(
      'Alice Martin placed a legal hold “HC-2026-017” on case “Client Y litigation”',
    );
    expect(say('legal-hold-release-request', hold, 'alice')).toBe(
      'Alice Martin requested the release of the legal hold “HC-2026-017” on case “Client Y litigation”',
    );
    expect(
      say('legal-hold-release-approve', {
        ...hold,
        requestedBy: 'user:default/alice',
      }),
    ).toBe(
      'Ivy Peeters approved the release of the legal hold “HC-2026-017” on case “Client Y litigation”, requested by Alice Martin',
    );
    expect(
      say('legal-hold-release-reject', {
        ...hold,
        requestedBy: 'user:default/alice',
      }),
    ).toBe(
      'Ivy Peeters rejected the release of the legal hold “HC-2026-017” on case “Client Y litigation”, requested by Alice Martin',
    );
    expect(say('legal-hold-release-cancel', hold, 'alice')).toBe(
      'Alice Martin withdrew their request to release the legal hold “HC-2026-017” on case “Client Y litigation”',
    );
    expect(say('legal-hold-place', {})).toBe(
      'Ivy Peeters placed a legal hold on a case',
    );
  });
});
