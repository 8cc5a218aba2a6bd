import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import {
  CaseAccess,
  caseGivesRight,
  CaseRight,
  Conversation,
} from '@mvr/plugin-voice-recording-common';
import {
  hasCaseLabelRight,
  hasCaseRight,
} from '@mvr/plugin-voice-recording-node';
import { AccessRequestsStore } from './AccessRequestsStore';
import { CasesStore } from './CasesStore';
import { ConversationSearchStore } from './ConversationSearchStore';
import { applyDatabaseMigrations } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const DAY = 86_400_000;
const u = (n: string) => `user:default/${n}`;

const call = (): Conversation => ({
  id: randomUUID(),
  number: '+32470123456',
  userRef: u('zoe'),
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

const access = (a: Partial<CaseAccess>): CaseAccess => ({
  list: { mode: 'none', refs: [] },
  playback: { mode: 'none', refs: [] },
  label: { mode: 'owner', refs: [] },
  ...a,
});

/** Users and their claims (user ref + groups, as the policy passes them). */
const CLAIMS: Record<string, string[]> = Object.fromEntries(
  [
    ['owen'],
    ['bob', 'group:default/trading'],
    ['carol'],
    ['dave'],
    ['erin'],
    ['frank'],
    ['grace'],
    ['henry'],
    ['ivan'],
    ['zed', 'group:default/sales'],
  ].map(([name, ...groups]) => [name, [u(name), ...groups]]),
);

describe.each(databases.eachSupportedId())(
  'case rights in SQL and in memory on %s',
  databaseId => {
    it('agree for every user, right and conversation', async () => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const cases = new CasesStore(knex);
      const requests = new AccessRequestsStore(knex);
      const search = new ConversationSearchStore(knex);
      const now = new Date();
      const calls = Array.from({ length: 8 }, call);
      await search.insertFinished(calls);

      const make = async (
        title: string,
        a: Partial<CaseAccess>,
        status: 'open' | 'closed' = 'open',
      ) =>
        (
          await cases.createCase({
            title,
            description: '',
            status,
            ownerRef: u('owen'),
            newLabel: { title, colour: '#123456' },
            access: access(a),
          })
        ).case;
      const A = await make('A', {});
      const B = await make('B', {
        list: { mode: 'selected', refs: ['group:default/trading'] },
        playback: { mode: 'selected', refs: [u('dave')] },
        label: { mode: 'selected', refs: [u('erin')] },
      });
      const C = await make('C', { list: { mode: 'everyone', refs: [] } });
      const D = await make(
        'D',
        { playback: { mode: 'everyone', refs: [] } },
        'closed',
      );
      const E = await make('E', {});
      const F = await make('F', {
        playback: { mode: 'everyone', refs: [] },
        label: { mode: 'selected', refs: ['group:default/trading'] },
      });
      const label = async (i: number, c: { label: { id: string } }) =>
        cases.addConversationLabel(calls[i].id, c.label.id, u('owen'));
      await label(0, A);
      await label(1, B);
      await label(2, B);
      await label(2, E); // two cases
      await label(3, C);
      await label(4, D);
      await label(5, E);
      await label(6, F);
      // calls[7]: no label

      const grant = async (who: string, rights: CaseRight[], end = 7 * DAY) =>
        requests.create(
          {
            caseId: E.id,
            requesterRef: u(who),
            reason: 'r',
            rights,
            expiresAt: new Date(now.getTime() + end),
          },
          now,
        );
      const approve = (id: string) =>
        requests.decide(id, { state: 'approved', by: u('alice') }, now);
      await approve((await grant('carol', ['list'])).id);
      await approve((await grant('dave', ['playback'])).id);
      await approve((await grant('erin', ['label'])).id);
      const frank = await grant('frank', ['playback']);
      await approve(frank.id);
      await knex('vr_access_requests')
        .where({ id: frank.id })
        .update({ expires_at: new Date(now.getTime() - 1000) });
      const grace = await grant('grace', ['playback']);
      await approve(grace.id);
      await requests.revoke(grace.id, u('alice'), 'done', now);
      await requests.decide(
        (
          await grant('henry', ['playback'])
        ).id,
        { state: 'rejected', by: u('alice'), comment: 'no' },
        now,
      );
      await grant('ivan', ['list', 'playback', 'label']); // pending

      const facts = new Map(
        await Promise.all(
          calls.map(
            async c => [c.id, await cases.accessFactsOf(c.id)] as const,
          ),
        ),
      );
      const seen: Record<string, Record<string, number>> = {};
      for (const [name, claims] of Object.entries(CLAIMS)) {
        for (const right of ['list', 'playback'] as const) {
          const { items } = await search.search(
            { sort: 'startedAt', order: 'desc', limit: 100 },
            { property: 'caseRight', right, claims },
          );
          const inSql = items.map(c => c.id).sort();
          const inMemory = calls
            .filter(c =>
              facts
                .get(c.id)!
                .some(f => caseGivesRight(f, right, claims, new Date())),
            )
            .map(c => c.id)
            .sort();
          expect({ name, right, ids: inSql }).toEqual({
            name,
            right,
            ids: inMemory,
          });
          // the permission rule's apply (in-memory decisions of the framework) agrees
          const byRule = calls
            .filter(c =>
              hasCaseRight.apply(
                { ...c, caseAccess: facts.get(c.id) },
                { claims, right },
              ),
            )
            .map(c => c.id)
            .sort();
          expect(byRule).toEqual(inSql);
          (seen[name] ??= {})[right] = inSql.length;
        }
        const labelSql = [];
        for (const c of [A, B, C, D, E, F]) {
          if (await cases.getCase(c.id, { property: 'labelRight', claims }))
            labelSql.push(c.title);
        }
        const grants = await cases.grantsOf([A, B, C, D, E, F].map(c => c.id));
        const labelMemory = [A, B, C, D, E, F]
          .filter(c =>
            hasCaseLabelRight.apply(
              { ...c, grants: grants.get(c.id) ?? [] },
              { claims },
            ),
          )
          .map(c => c.title);
        expect({ name, label: labelSql }).toEqual({ name, label: labelMemory });
        seen[name].label = labelSql.length;
      }
      // and the rule is the intended one (calls by case: A 0; B 1,2; C 3; D 4; E 2,5; F 6)
      expect(seen).toEqual({
        owen: { list: 6, playback: 6, label: 5 }, // owner: every open case (D closed)
        bob: { list: 4, playback: 1, label: 1 }, // B by group, C everyone, F playback everyone; label F by group
        carol: { list: 4, playback: 1, label: 0 }, // grant list on E (2, 5), C, F
        dave: { list: 5, playback: 4, label: 0 }, // B playback selected (1, 2), E grant (2, 5), F everyone (6); C lists (3)
        erin: { list: 2, playback: 1, label: 2 }, // label selected on B, grant label on E
        frank: { list: 2, playback: 1, label: 0 }, // expired: C and F only
        grace: { list: 2, playback: 1, label: 0 }, // revoked
        henry: { list: 2, playback: 1, label: 0 }, // rejected
        ivan: { list: 2, playback: 1, label: 0 }, // pending
        zed: { list: 2, playback: 1, label: 0 },
      });
    });
  },
);
