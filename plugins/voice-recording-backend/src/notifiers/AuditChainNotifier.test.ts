import { mockServices } from '@backstage/backend-test-utils';
import { AuditChainNotifier } from './AuditChainNotifier';

const broken = {
  ok: false,
  checked: 16,
  firstBroken: {
    seq: 17,
    reason: 'edited' as const,
    message:
      'entry 17 (id 17) was changed: its content no longer matches its hash',
  },
};

describe('AuditChainNotifier', () => {
  it('tells the admins once per broken link (same scope on the hourly retries), audited', async () => {
    const send = jest.fn(async () => undefined);
    const record = jest.fn(async () => undefined);
    const notifier = new AuditChainNotifier(
      { send },
      ['group:default/compliance'],
      mockServices.logger.mock(),
      { record },
    );
    await notifier.notifyBroken(broken);
    await notifier.notifyBroken(broken);
    expect(send).toHaveBeenCalledTimes(2);
    const [first, second] = send.mock.calls as any[];
    expect(first[0]).toEqual({
      recipients: { type: 'entity', entityRef: ['group:default/compliance'] },
      payload: {
        title: 'Audit trail broken at entry 17',
        description:
          'entry 17 (id 17) was changed: its content no longer matches its hash (edited). 16 entries before it verify; the daily heads are not signed until the trail is dealt with.',
        link: '/voice-recording/audit',
        severity: 'critical',
        topic: 'voice-recording-audit-chain',
        scope: 'voice-recording-audit-chain:17:edited',
      },
    });
    // Backstage notifications with the same scope update the first one
    expect(second[0].payload.scope).toBe(first[0].payload.scope);
    expect(record).toHaveBeenCalledWith(
      expect.objectContaining({
        action: 'audit-chain-notification',
        targetId: '17',
        details: {
          brokenSeq: 17,
          brokenReason: 'edited',
          recipients: ['group:default/compliance'],
        },
      }),
    );
  });

  it('says nothing of an intact trail or without admins; a failed send is logged, not thrown', async () => {
    const send = jest.fn(async () => {
      throw new Error('notifications down');
    });
    const logger = mockServices.logger.mock();
    const record = jest.fn(async () => undefined);
    await new AuditChainNotifier(
      { send },
      ['group:default/compliance'],
      logger,
      {
        record,
      },
    ).notifyBroken({ ok: true, checked: 3 });
    await new AuditChainNotifier({ send }, [], logger, { record }).notifyBroken(
      broken,
    );
    expect(send).not.toHaveBeenCalled();
    await new AuditChainNotifier(
      { send },
      ['group:default/compliance'],
      logger,
      {
        record,
      },
    ).notifyBroken(broken);
    expect(send).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringMatching(
        /audit chain alarm could not be sent: Error: notifications down/,
      ),
    );
    expect(record).not.toHaveBeenCalled();
  });
});
