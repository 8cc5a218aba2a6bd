import { randomUUID } from 'node:crypto';
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import { applyDatabaseMigrations } from './database';
import { AccessRequestsStore } from './database/AccessRequestsStore';
import { CasesStore } from './database/CasesStore';
import { ConversationSearchStore } from './database/ConversationSearchStore';
import { loadDemoCases } from './demoCases';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const call = (minutesAgo: number): Conversation => ({
  id: randomUUID(),
  number: '+32470123456',
  userRef: 'user:default/bob',
  startedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  sipCallId: `demo-${randomUUID()}`,
  participants: [],
  metadata: {},
  dtmf: [],
  state: 'finished',
  captureSource: 'demo',
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});

describe.each(databases.eachSupportedId())('demo case on %s', databaseId => {
  it('labels the three latest demo calls, with an approved and a pending request, once', async () => {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const conversations = new ConversationSearchStore(knex);
    const calls = [call(10), call(20), call(30), call(40)];
    await conversations.insertFinished(calls);
    const options = {
      cases: new CasesStore(knex),
      requests: new AccessRequestsStore(knex),
      conversations,
      logger: mockServices.logger.mock(),
    };
    await expect(loadDemoCases(options)).resolves.toBe(true);
    const [demo] = await options.cases.listCases();
    expect(demo).toMatchObject({
      title: 'Client Dupont complaint',
      ownerRef: 'user:default/alice',
      label: { title: 'Client Dupont', colour: '#d32f2f' },
    });
    const labelled = await conversations.search({
      caseId: demo.id,
      sort: 'startedAt',
      order: 'desc',
      limit: 10,
    });
    expect(labelled.items.map(c => c.id)).toEqual(
      calls.slice(0, 3).map(c => c.id),
    );
    const { items } = await options.requests.list({}, new Date());
    expect(items.map(r => [r.requesterRef, r.state, r.rights])).toEqual(
      expect.arrayContaining([
        ['user:default/dave', 'approved', ['list', 'playback']],
        ['user:default/bob', 'pending', ['playback']],
      ]),
    );
    await expect(loadDemoCases(options)).resolves.toBe(false);
    expect(await options.cases.listCases()).toHaveLength(1);
  });
});
