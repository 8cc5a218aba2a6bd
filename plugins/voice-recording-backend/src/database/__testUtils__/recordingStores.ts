import { TestDatabases } from '@backstage/backend-test-utils';
import { NumberSettings } from '@mvr/plugin-voice-recording-common';
import { ConversationSearchStore } from '../ConversationSearchStore';
import { KnexConversationsStore } from '../ConversationsStore';
import { KnexNumbersStore } from '../NumbersStore';
import { applyDatabaseMigrations } from '../util';

const settings: NumberSettings = {
  beep: false,
  smsOnStatusChange: false,
  statusMode: 'auto',
  activeStatus: 'professional',
  selfManaged: false,
  simultaneousCalls: true,
  timeZone: 'Europe/Brussels',
};

/**
 * A migrated test database with the stores a recording goes through: the recorder's
 * (`store`), the search (`search`), and `addNumber` for a recorded number of a user
 * (recording on weekdays 08:00-18:00).
 */
export async function openRecordingStores(
  databases: TestDatabases,
  databaseId: Parameters<TestDatabases['init']>[0],
) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const numbers = new KnexNumbersStore(knex);
  return {
    knex,
    store: new KnexConversationsStore(knex),
    search: new ConversationSearchStore(knex),
    addNumber: (number: string, userRef: string) =>
      numbers.create({
        number,
        userRef,
        mvrActive: true,
        fmu: false,
        settings,
        slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
      }),
  };
}
