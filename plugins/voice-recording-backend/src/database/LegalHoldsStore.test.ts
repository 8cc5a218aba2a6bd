import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { CasesStore } from './CasesStore';
import { ConversationSearchStore } from './ConversationSearchStore';
import { LegalHoldsStore, whereHeld } from './LegalHoldsStore';
import { applyDatabaseMigrations } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const call = (): Conversation => ({
  id: randomUUID(),
  number: '+32470123456',
  userRef: 'user:default/zoe',
  startedAt: new Date().toISOString(),
  sipCallId: `t-${randomUUID()}`,
  participants: [],
  metadata: {},
  dtmf: [],
  state: 'finished',
  captureSource: 'test',
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

const NONE = { mode: 'none' as const, refs: [] };

describe.each(databases.eachSupportedId())('LegalHoldsStore on %s', id => {
  async function setup() {
    const knex = await databases.init(id);
    await applyDatabaseMigrations(knex);
    const cases = new CasesStore(knex);
    const conversations = [call(), call()];
    await new ConversationSearchStore(knex).insertFinished(conversations);
    const { case: c } = await cases.createCase({
      title: 'Matter',
      description: '',
      status: 'open',
      access: {
        list: NONE,
        playback: NONE,
        label: { mode: 'owner', refs: [] },
      },
      ownerRef: 'user:default/alice',
      newLabel: { title: 'Matter', colour: '#123456' },
    });
    await cases.addConversationLabel(
      conversations[0].id,
      c.label.id,
      'user:default/alice',
    );
    const held = async () =>
      (
        await knex('vr_conversations as c')
          .where(qb => whereHeld(qb, knex))
          .select('c.id')
      ).map((r: any) => r.id);
    return { knex, cases, c, conversations, held };
  }

  it('holds the labelled conversations once placed, none once released; a second standing hold is refused', async () => {
    const { knex, c, conversations, held } = await setup();
    const store = new LegalHoldsStore(knex);
    expect(await held()).toEqual([]);
    const hold = await store.place({
      caseId: c.id,
      reason: 'r',
      reference: 'R-1',
      placedBy: 'user:default/alice',
    });
    expect(hold).toMatchObject({ state: 'active', conversationCount: 1 });
    expect(await held()).toEqual([conversations[0].id]);
    expect(
      (await store.holdsOf(conversations.map(x => x.id))).get(
        conversations[0].id,
      ),
    ).toEqual([
      {
        id: hold.id,
        caseId: c.id,
        caseTitle: 'Matter',
        reference: 'R-1',
        state: 'active',
      },
    ]);
    // a standard user with no right on the case is told of no hold
    expect(
      (
        await store.holdsOf(
          conversations.map(x => x.id),
          ['user:default/zoe'],
        )
      ).size,
    ).toBe(0);
    await expect(
      store.place({
        caseId: c.id,
        reason: 'again',
        reference: 'R-2',
        placedBy: 'user:default/fiona',
      }),
    ).rejects.toThrow(/under legal hold already \(reference R-1\)/);
    expect(
      await store.transition(hold.id, 'active', {
        state: 'released',
        released_by: 'user:default/fiona',
        released_at: new Date(),
      }),
    ).toBe(true);
    // from a state it is no longer in: nothing changes
    expect(
      await store.transition(hold.id, 'active', { state: 'released' }),
    ).toBe(false);
    expect(await held()).toEqual([]);
    expect((await store.get(hold.id))?.conversationCount).toBe(0);
  });

  if (id === 'POSTGRES_15') {
    it('waits, when placing a hold, for a disposal that locked the label rows first (FOR SHARE), so that the disposal never misses a committed hold', async () => {
      const { knex, c, conversations } = await setup();
      const store = new LegalHoldsStore(knex);
      const disposal = await knex.transaction();
      let placed = false;
      let placing: Promise<unknown> | undefined;
      try {
        // the disposal's protocol: lock its conversations' label rows, then check
        await disposal('vr_conversation_labels')
          .whereIn('conversation_id', [conversations[0].id])
          .select('label_id')
          .forShare();
        placing = store
          .place({
            caseId: c.id,
            reason: 'r',
            reference: 'R-LOCK',
            placedBy: 'user:default/alice',
          })
          .then(() => {
            placed = true;
          });
        // the placing transaction is seen waiting for the lock (polled, never assumed)
        const waiting = async () =>
          Number(
            (
              await knex.raw(
                `SELECT count(*) AS n FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND query ILIKE '%vr_conversation_labels%for update%'`,
              )
            ).rows[0].n,
          );
        const deadline = Date.now() + 20_000;
        while ((await waiting()) !== 1 && Date.now() < deadline)
          await new Promise(r => setTimeout(r, 50));
        expect(await waiting()).toBe(1);
        expect(placed).toBe(false);
        // the disposal's check still sees no hold: it may dispose of the call now
        const held = await disposal('vr_conversations as c')
          .whereIn('c.id', [conversations[0].id])
          .where(qb => whereHeld(qb, knex))
          .select('c.id');
        expect(held).toEqual([]);
        await disposal.commit();
      } finally {
        if (!disposal.isCompleted()) await disposal.rollback();
      }
      await placing;
      expect(placed).toBe(true);
    });
  }
});
