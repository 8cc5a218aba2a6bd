import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  Conversation,
  normalizePhoneNumber,
} from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import {
  ConversationSearchFilters,
  ConversationSearchStore,
  phoneSearchDigits,
} from './ConversationSearchStore';
import { KnexConversationsStore } from './ConversationsStore';
import { applyDatabaseMigrations } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';

/** The phone filter of GET /conversations for an input (as routes.ts builds it). */
function phoneFilter(input: string): ConversationSearchFilters {
  const n = normalizePhoneNumber(input, 'BE');
  return {
    phoneDigits: phoneSearchDigits(input, n.ok ? n.e164 : undefined),
    phoneExact: n.ok,
  };
}

/** The documented semantics, computed in JS from the rows (newest first). */
function expected(
  rows: Conversation[],
  f: ConversationSearchFilters,
): string[] {
  const d = f.phoneDigits!;
  const digits = (v?: string) => (v ?? '').replace(/\D/g, '');
  return rows
    .filter(c => {
      const parties = [digits(c.number), digits(c.otherParty)];
      return f.phoneExact || d.length < 3
        ? parties.includes(d)
        : parties.some(p => p.includes(d));
    })
    .sort((a, b) =>
      a.startedAt === b.startedAt
        ? b.id.localeCompare(a.id)
        : b.startedAt.localeCompare(a.startedAt),
    )
    .map(c => c.id);
}

function conv(
  i: number,
  number: string,
  otherParty?: string,
  userRef = BOB,
): Conversation {
  const at = new Date(Date.UTC(2026, 0, 1, 8) + i * 3_600_000).toISOString();
  return {
    id: randomUUID(),
    number,
    userRef,
    otherParty,
    direction: i % 2 ? 'incoming' : 'outgoing',
    startedAt: at,
    durationMs: 60_000,
    sipCallId: `search-${i}`,
    participants: [],
    metadata: {},
    dtmf: [],
    state: 'finished',
    captureSource: 'test',
    createdAt: at,
    updatedAt: at,
  };
}

const ROWS: Conversation[] = [
  conv(0, '+32470123456', '+32471987654'),
  conv(1, '+32470123456', '+33612345678'),
  conv(2, '+32475111222', 'Extension-12', CAROL),
  conv(3, '+32475111222', undefined, CAROL),
  conv(4, '+32470999888', '+32470123450'),
  conv(5, '+32470999888', '+4917612345678'),
  conv(6, '+32471234567', '+32479123123', CAROL),
  conv(7, '+32471234567', '+3247800100'),
];
// same start as row 7: keyset paging breaks the tie by id
ROWS.push({
  ...conv(8, '+32474567890', '+32478001001'),
  startedAt: ROWS[7].startedAt,
});

/** Inputs as typed in the search form, with what each covers. */
const INPUTS = [
  '+32 470 12 34 56', // full, international with spaces: exact digits
  '0470 12 34 56', // full, national with spaces: exact digits
  '0032470123456', // full, 00 prefix
  '0470 12', // partial national: trunk 0 dropped -> 47012
  '+32 470', // partial with leading +
  '12345', // middle digits (several parties, both columns)
  '4567', // middle digits
  '123', // 3 digits: the shortest substring
  '7800', // other party only
  '111222', // recorded number only
  '12', // 2 digits: whole digits only (Extension-12), not every number containing 12
  '45', // 2 digits that are no party's whole digits: nothing
  '7', // 1 digit
  '999', // partial
  '+33 6 12', // partial foreign
  '00000', // no match
];

describe.each(databases.eachSupportedId())(
  'ConversationSearchStore phone search on %s',
  databaseId => {
    let knex: Knex;
    const sqlite = databaseId.startsWith('SQLITE');

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      await new ConversationSearchStore(knex).insertFinished(ROWS);
    });

    afterAll(async () => {
      await knex.destroy();
    });

    it('matches partial and full numbers in any format, identically through every plan', async () => {
      // default: few matches go through the trigram index (FTS5 / pg_trgm);
      // 0: every partial search walks the other indexes and tests the digits (LIKE)
      const stores = [
        new ConversationSearchStore(knex),
        new ConversationSearchStore(knex, { phoneIndexMaxMatches: 0 }),
        new ConversationSearchStore(knex, { phoneIndexMaxMatches: 2 }),
      ];
      const seen: Record<string, number> = {};
      for (const input of INPUTS) {
        const f = phoneFilter(input);
        const want = expected(ROWS, f);
        seen[input] = want.length;
        for (const store of stores) {
          const page = await store.search({
            ...f,
            sort: 'startedAt',
            order: 'desc',
            limit: 100,
          });
          expect({ input, ids: page.items.map(c => c.id) }).toEqual({
            input,
            ids: want,
          });
          expect({ input, total: page.total }).toEqual({
            input,
            total: want.length,
          });
          expect(await store.count(f)).toBe(want.length);
          // with another filter (visibility in SQL) the same rows of carol's
          const own = { property: 'userRef' as const, values: [CAROL] };
          const mine = want.filter(
            id => ROWS.find(c => c.id === id)!.userRef === CAROL,
          );
          const carols = await store.search(
            { ...f, sort: 'startedAt', order: 'desc', limit: 100 },
            own,
          );
          expect({
            input,
            ids: carols.items.map(c => c.id),
            total: carols.total,
          }).toEqual({
            input,
            ids: mine,
            total: mine.length,
          });
        }
      }
      // the oracle is not trivial: the inputs cover matches and non-matches
      expect(seen).toMatchObject({
        '+32 470 12 34 56': 2,
        '0470 12 34 56': 2,
        '0470 12': 3,
        '+32 470': 4,
        '12345': 6,
        '4567': 5,
        '123': 6,
        '12': 1,
        '45': 0,
        '7': 0,
        '00000': 0,
      });
    });

    it('pages a partial search with the keyset cursor, same order in every plan', async () => {
      const f = phoneFilter('4567'); // 5 matches, two of them with the same start
      const want = expected(ROWS, f);
      expect(want.length).toBe(5);
      for (const max of [undefined, 0]) {
        const store = new ConversationSearchStore(knex, {
          phoneIndexMaxMatches: max,
        });
        const got: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.search({
            ...f,
            sort: 'startedAt',
            order: 'desc',
            limit: 2,
            cursor,
          });
          expect(page.total).toBe(want.length);
          got.push(...page.items.map(c => c.id));
          cursor = page.nextCursor;
        } while (cursor);
        expect(got).toEqual(want);
      }
    });

    it('counts a search page up to the cap, then reports "more than" (exports stay exact)', async () => {
      const exact = await new ConversationSearchStore(knex).search({ sort: 'startedAt', order: 'desc', limit: 2 });
      expect(exact.total).toBe(ROWS.length);
      expect(exact.totalIsLowerBound).toBeUndefined();
      for (const cap of [ROWS.length, ROWS.length - 1, 3]) {
        const store = new ConversationSearchStore(knex, { searchCountCap: cap });
        const page = await store.search({ sort: 'startedAt', order: 'desc', limit: 2 });
        expect(page.items.map(c => c.id)).toEqual(exact.items.map(c => c.id));
        expect({ total: page.total, lowerBound: page.totalIsLowerBound ?? false }).toEqual({
          total: Math.min(cap, ROWS.length),
          lowerBound: ROWS.length > cap,
        });
        // the partial-number filter with visibility goes through the same capped count
        const f = phoneFilter('4567');
        const partial = await store.search({ ...f, sort: 'startedAt', order: 'desc', limit: 2 });
        const want = expected(ROWS, f).length;
        expect(partial.total).toBe(Math.min(want, cap));
        expect(partial.totalIsLowerBound ?? false).toBe(want > cap);
        expect(await store.count({})).toBe(ROWS.length);
      }
    });

    it('keeps the phone index in step with inserts, updates and deletes', async () => {
      const store = new ConversationSearchStore(knex);
      const writer = new KnexConversationsStore(knex);
      const ids = async (input: string) => {
        const page = await store.search({
          ...phoneFilter(input),
          sort: 'startedAt',
          order: 'desc',
          limit: 10,
        });
        expect(page.total).toBe(page.items.length); // total from the index = rows found
        return page.items.map(c => c.id);
      };
      const { conversation } = await writer.begin({
        recordedNumber: {
          id: randomUUID(),
          number: '+32470555000',
          userRef: BOB,
        },
        otherParty: '+32499556677',
        direction: 'incoming',
        startedAt: new Date('2026-02-01T10:00:00Z'),
        sipCallId: 'consistency-1',
        participants: [],
        captureSource: 'test',
      });
      expect(await ids('556677')).toEqual([conversation.id]);
      expect(await ids('0499 55 66 77')).toEqual([conversation.id]);
      await writer.update(conversation.id, { otherParty: '+32488001122' });
      expect(await ids('556677')).toEqual([]);
      expect(await ids('8800112')).toEqual([conversation.id]);
      await writer.update(conversation.id, { otherParty: 'Reception' }); // no digits
      expect(await ids('8800112')).toEqual([]);
      expect(await ids('555000')).toEqual([conversation.id]);
      // a direct UPDATE (any writer) is indexed too
      await knex('vr_conversations').where('id', conversation.id).update({
        other_party: '+32466123987',
        other_party_digits: '32466123987',
      });
      expect(await ids('6612398')).toEqual([conversation.id]);
      await knex('vr_conversations').where('id', conversation.id).delete();
      expect(await ids('6612398')).toEqual([]);
      expect(await ids('555000')).toEqual([]);
      expect(await store.count(phoneFilter('470'))).toBe(
        expected(ROWS, phoneFilter('470')).length,
      );
    });

    if (sqlite) {
      it('after those writes, the FTS index still matches the conversations', async () => {
        // one index row per conversation, and FTS5's own check of index against content
        const [{ n }] = await knex('vr_conversations_phone').count({ n: '*' });
        const [{ m }] = await knex('vr_conversations').count({ m: '*' });
        expect(Number(n)).toBe(ROWS.length);
        expect(Number(m)).toBe(ROWS.length);
        await knex.raw(
          "INSERT INTO vr_conversations_phone_fts (vr_conversations_phone_fts, rank) VALUES ('integrity-check', 1)",
        );
      });
    }

    it('rejects phone digits that are not digits', async () => {
      await expect(
        new ConversationSearchStore(knex).search({
          phoneDigits: '12"3',
          sort: 'startedAt',
          order: 'desc',
          limit: 10,
        }),
      ).rejects.toThrow(/phone: "12"3" is not a string of digits/);
    });

    if (sqlite) {
      it('uses the FTS5 trigram index, and LIKE when a sync trigger is missing', async () => {
        const db = await databases.init(databaseId);
        await applyDatabaseMigrations(db);
        await new ConversationSearchStore(db).insertFinished(ROWS);
        const plan = await db.raw(
          'EXPLAIN QUERY PLAN SELECT rowid FROM vr_conversations_phone_fts WHERE vr_conversations_phone_fts MATCH \'"12345"\'',
        );
        expect(JSON.stringify(plan)).toMatch(/VIRTUAL TABLE INDEX/);
        // without the update trigger the index may go stale: the store must not use it
        await db.raw('DROP TRIGGER vr_conversations_phone_au');
        await db('vr_conversations').where('id', ROWS[0].id).update({
          other_party: '+32466000111',
          other_party_digits: '32466000111',
        });
        const store = new ConversationSearchStore(db);
        const page = await store.search({
          ...phoneFilter('66000111'),
          sort: 'startedAt',
          order: 'desc',
          limit: 10,
        });
        expect(page.items.map(c => c.id)).toEqual([ROWS[0].id]);
        expect(page.total).toBe(1);
        // the stale index still has the old digits: a search through it would find row 0
        const [{ n }] = await db('vr_conversations_phone_fts')
          .whereRaw('vr_conversations_phone_fts MATCH \'"1987654"\'')
          .count({ n: '*' });
        expect(Number(n)).toBe(1);
        expect(
          (
            await store.search({
              ...phoneFilter('1987654'),
              sort: 'startedAt',
              order: 'desc',
              limit: 10,
            })
          ).total,
        ).toBe(0);
        await db.destroy();
      });
    }
  },
);

describe.each(databases.eachSupportedId())(
  'ConversationSearchStore.insertFinished and SIP identifiers on %s',
  databaseId => {
    it('stores Call-IDs and SIPREC session ids in the form ConversationsStore stores them', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const ids = [
        'plain-1@sbc.example.net',
        `demo\u0000nul\u001b[2Jesc\ufffd@sbc`, // NUL: PostgreSQL text cannot hold it
        `long-${'7'.repeat(5000)}@sbc`, // past the stored form's bound
      ];
      const inserted = ids.map((sipCallId, i) => ({
        ...conv(20 + i, '+32470555111', '+32499000111'),
        sipCallId,
        siprecSessionId: `session ${i}\u0000`,
      }));
      await new ConversationSearchStore(knex).insertFinished(inserted);
      // the recorder's writer, for the same identifiers
      const writer = new KnexConversationsStore(knex);
      for (const [i, sipCallId] of ids.entries()) {
        const { conversation } = await writer.begin({
          recordedNumber: {
            id: randomUUID(),
            number: '+32470555222',
            userRef: BOB,
          },
          direction: 'incoming',
          startedAt: new Date('2026-03-01T10:00:00Z'),
          sipCallId,
          siprecSessionId: `session ${i}\u0000`,
          participants: [],
          captureSource: 'test',
        });
        const [demo, recorded] = await Promise.all([
          knex('vr_conversations').where('id', inserted[i].id).first(),
          knex('vr_conversations').where('id', conversation.id).first(),
        ]);
        expect(demo.sip_call_id).toBe(recorded.sip_call_id);
        expect(demo.siprec_session_id).toBe(recorded.siprec_session_id);
        // found by the same lookup
        const found = await knex('vr_conversations')
          .where('sip_call_id', recorded.sip_call_id)
          .orderBy('number')
          .pluck('id');
        expect(found).toEqual([inserted[i].id, conversation.id]);
      }
      const stored = await knex('vr_conversations')
        .whereIn('id', inserted.map(c => c.id))
        .pluck('sip_call_id');
      expect(stored).toContain('demo#00nul#1b[2Jesc#ef#bf#bd@sbc');
      expect(Math.max(...stored.map((s: string) => s.length))).toBe(1024);
      await knex.destroy();
    });
  },
);
