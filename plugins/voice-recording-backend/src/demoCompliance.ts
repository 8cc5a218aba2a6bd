/*
 * Demo data of the compliance archive (issue 18), so that a fresh demo portal shows it on
 * day one:
 *   - three old calls of bob's and carol's whose retention ends 6, 13 and 24 days from now
 *     under the regulatory minimum (default P5Y): Compliance › Disposals lists them as
 *     upcoming, and the disposal job does not dispose of them at once (generated with the
 *     other demo calls, demoConversations.ts);
 *   - one standing legal hold on the demo case (demoCases.ts), placed by alice with a
 *     reason and a reference; the second old call is added to the case, so that it is
 *     flagged held among the upcoming disposals and never disposed of.
 */
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  addRetentionPeriod,
  RetentionPeriod,
} from '@mvr/plugin-voice-recording-common';
import { CasesStore } from './database/CasesStore';
import { ConversationSearchStore } from './database/ConversationSearchStore';
import { LegalHoldsStore } from './database/LegalHoldsStore';
import type { DemoCall } from './demoConversations';

const DAY = 86_400_000;

/** The regulatory minimum when none is configured (MiFID II). */
export const DEMO_DEFAULT_MINIMUM: RetentionPeriod = {
  years: 5,
  months: 0,
  days: 0,
};

/** The other party of the old call that the demo case (and its hold) gathers. */
export const DEMO_HELD_OLD_CALL_PARTY = '+32478901234';

export const DEMO_HOLD_REFERENCE = 'LIT-2026-0042';
export const DEMO_HOLD_REASON =
  'Client Dupont disputes the order: preserve every call with the client until the complaint is settled';

export const DEMO_EXPIRING_CALLS: DemoCall[] = [
  {
    number: '+32470123456',
    otherParty: '+442079460011',
    direction: 'outgoing',
    minutesAgo: 0,
    retentionEndsInDays: 6,
    lines: [
      'Good afternoon, this is Bob from the trading desk in Brussels.',
      'Hello Bob, go ahead.',
      'Your order for two thousand shares of Initech has been filled.',
      'Thank you, that is all for today.',
    ],
    quality: { packetsReceived: 1520, packetsLost: 0, jitterMs: 11 },
  },
  {
    number: '+32470123456',
    otherParty: DEMO_HELD_OLD_CALL_PARTY,
    direction: 'incoming',
    minutesAgo: 0,
    retentionEndsInDays: 13,
    lines: [
      'Trading desk, Bob speaking.',
      'Good morning, this is Mister Dupont. I want to buy bonds of Acme.',
      'How many would you like, and at what limit?',
      'Three hundred, limit one hundred and two.',
    ],
    quality: { packetsReceived: 1460, packetsLost: 4, jitterMs: 14 },
  },
  {
    number: '+32471234567',
    otherParty: '+352621123456',
    direction: 'outgoing',
    minutesAgo: 0,
    retentionEndsInDays: 24,
    lines: [
      'Hello, Carol from the bank speaking.',
      'Hello Carol.',
      'I am calling to confirm the transfer to your Luxembourg account.',
      'Yes, I confirm it. Thank you.',
    ],
    quality: { packetsReceived: 1390, packetsLost: 1, jitterMs: 9 },
  },
];

/**
 * When an old demo call of `durationMs` must start so that its retention end (its end
 * plus `minimum`, calendar arithmetic as RetentionStore) falls `days` days after `now`.
 */
export function demoRetentionStart(
  now: Date,
  days: number,
  durationMs: number,
  minimum: RetentionPeriod = DEMO_DEFAULT_MINIMUM,
): Date {
  const target = new Date(now.getTime() + days * DAY);
  const end = new Date(target.getTime());
  end.setUTCDate(end.getUTCDate() - minimum.days);
  end.setUTCMonth(end.getUTCMonth() - minimum.months);
  end.setUTCFullYear(end.getUTCFullYear() - minimum.years);
  // month ends (31st, 29 February): land on the same day as the forward computation
  const drift = addRetentionPeriod(end, minimum).getTime() - target.getTime();
  return new Date(end.getTime() - drift - durationMs);
}

/**
 * The demo's standing legal hold on the demo case, placed by alice, with the demo's old
 * call of Mister Dupont added to the case. Only when there is no hold yet and the demo case
 * exists; never fails the plugin's start.
 */
export async function loadDemoLegalHold(options: {
  cases: CasesStore;
  holds: LegalHoldsStore;
  conversations: ConversationSearchStore;
  logger: LoggerService;
  now?: Date;
}): Promise<boolean> {
  const { cases, holds, conversations, logger } = options;
  const now = options.now ?? new Date();
  try {
    if ((await holds.list()).length > 0) return false;
    const demo = (await cases.listCases()).find(
      c => c.title === 'Client Dupont complaint',
    );
    if (!demo) return false;
    const owner = 'user:default/alice';
    // the demo's old call with the client (generated at its retention's end)
    const { items } = await conversations.search({
      to: new Date(now.getTime() - 365 * DAY),
      sort: 'startedAt',
      order: 'desc',
      limit: 50,
    });
    const old = items.find(
      c =>
        c.captureSource === 'demo' &&
        c.otherParty === DEMO_HELD_OLD_CALL_PARTY,
    );
    if (old) await cases.addConversationLabel(old.id, demo.label.id, owner);
    const hold = await holds.place({
      caseId: demo.id,
      reason: DEMO_HOLD_REASON,
      reference: DEMO_HOLD_REFERENCE,
      placedBy: owner,
    });
    logger.info(
      `demo legal hold ${hold.reference} on "${demo.title}": ${hold.conversationCount} calls held`,
    );
    return true;
  } catch (e) {
    logger.warn(`demo legal hold not placed: ${e}`);
    return false;
  }
}
