import type { AuditEntry } from '../../api/VoiceRecordingApi';
import { auditSentence, sentenceText } from '../AuditPage/auditSentences';

const say = (e: Partial<AuditEntry>) =>
  sentenceText(
    auditSentence({
      id: '1',
      at: '2026-12-06T08:00:00Z',
      actorRef: 'user:default/alice',
      action: 'disposal-run',
      ...e,
    }),
    new Map([['user:default/alice', 'Alice Martin']]),
  );

describe('retention and disposal audit sentences', () => {
  it('name the policy, the change of period and what was re-computed', () => {
    expect(
      say({
        action: 'retention-policy-create',
        details: { after: { name: 'Traders', period: 'P10Y' }, recomputed: 3 },
      }),
    ).toBe(
      'Alice Martin created the retention policy "Traders" (P10Y); 3 conversations re-computed',
    );
    expect(
      say({
        action: 'retention-policy-update',
        details: {
          before: {
            name: 'Traders',
            period: 'P10Y',
            scope: { kind: 'default' },
          },
          after: { name: 'Traders', period: 'P6Y', scope: { kind: 'default' } },
          recomputed: 1,
        },
      }),
    ).toBe(
      'Alice Martin changed the retention policy "Traders" (P10Y): period P10Y → P6Y; 1 conversation re-computed',
    );
    expect(
      say({
        action: 'retention-policy-delete',
        details: { before: { name: 'Traders', period: 'P6Y' }, recomputed: 0 },
      }),
    ).toBe(
      'Alice Martin deleted the retention policy "Traders" (P6Y); 0 conversations re-computed',
    );
  });

  it('count what a disposal run, a batch, a dry run and a CSV download did', () => {
    expect(
      say({
        action: 'disposal-run',
        details: { trigger: 'manual', disposed: 2, held: 1, failed: 0 },
      }),
    ).toBe(
      'Alice Martin ran the disposal job: 2 conversations disposed of, 1 held, 0 failed',
    );
    expect(
      say({
        action: 'disposal-batch',
        details: { disposed: 1, conversationIds: ['c1'], failed: 1 },
      }),
    ).toBe(
      'Alice Martin disposed of 1 conversation past their retention end (1 could not be deleted yet)',
    );
    expect(
      say({ action: 'disposal-dry-run', details: { due: 4, held: 1 } }),
    ).toBe('Alice Martin ran a disposal dry run: 4 conversations due, 1 held');
    expect(say({ action: 'disposal-log-export', details: { rows: 1 } })).toBe(
      'Alice Martin downloaded the disposal log as CSV (1 row)',
    );
  });
});
