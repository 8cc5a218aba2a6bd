import { TestDatabases } from '@backstage/backend-test-utils';
import { ConversationSearchStore } from '../ConversationSearchStore';
import { KnexConversationsStore } from '../ConversationsStore';
import { KnexNumbersStore } from '../NumbersStore';
import {
  numberSettings,
  OFFICE_HOURS,
} from '../../service/__testUtils__/recordedNumbers';
import { applyDatabaseMigrations } from '../util';

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
        settings: numberSettings(),
        slots: [OFFICE_HOURS],
      }),
  };
}
