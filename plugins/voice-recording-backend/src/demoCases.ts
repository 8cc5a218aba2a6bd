import { LoggerService } from '@backstage/backend-plugin-api';
import { AccessRequestsStore } from './database/AccessRequestsStore';
import { CasesStore } from './database/CasesStore';
import { ConversationSearchStore } from './database/ConversationSearchStore';

const DAY = 86_400_000;

/**
 * The demo's case, so that a newcomer sees the workflow at once: compliance (alice)
 * gathers three demo calls in a case with a red label; dave's request to list and play
 * them back is approved (for 30 days), bob's request to play them back waits for a
 * decision. Only when there is no case yet and the demo calls exist; never fails the
 * plugin's start.
 */
export async function loadDemoCases(options: {
  cases: CasesStore;
  requests: AccessRequestsStore;
  conversations: ConversationSearchStore;
  logger: LoggerService;
  now?: Date;
}): Promise<boolean> {
  const { cases, requests, conversations, logger } = options;
  const now = options.now ?? new Date();
  try {
    if ((await cases.listCases()).length > 0) return false;
    const { items } = await conversations.search({
      sort: 'startedAt',
      order: 'desc',
      limit: 3,
    });
    if (items.length === 0) return false;
    const owner = 'user:default/alice';
    const { case: demo } = await cases.createCase({
      title: 'Client Dupont complaint',
      description:
        'Calls of the client with our traders about the disputed order of last week',
      status: 'open',
      ownerRef: owner,
      newLabel: { title: 'Client Dupont', colour: '#d32f2f' },
      access: {
        list: { mode: 'none', refs: [] },
        playback: { mode: 'none', refs: [] },
        label: { mode: 'owner', refs: [] },
      },
    });
    for (const c of items)
      await cases.addConversationLabel(c.id, demo.label.id, owner);
    const approved = await requests.create(
      {
        caseId: demo.id,
        requesterRef: 'user:default/dave',
        reason: 'Internal review of the disputed order (observers)',
        rights: ['list', 'playback'],
        expiresAt: new Date(now.getTime() + 30 * DAY),
      },
      now,
    );
    await requests.decide(
      approved.id,
      { state: 'approved', by: owner, comment: 'Approved for the review' },
      now,
    );
    await requests.create(
      {
        caseId: demo.id,
        requesterRef: 'user:default/bob',
        reason: "I need to hear my colleague's call with the client",
        rights: ['playback'],
        expiresAt: new Date(now.getTime() + 7 * DAY),
      },
      now,
    );
    logger.info(
      `demo case "${demo.title}": ${items.length} calls labelled, one approved and one pending access request`,
    );
    return true;
  } catch (e) {
    logger.warn(`demo case not created: ${e}`);
    return false;
  }
}
