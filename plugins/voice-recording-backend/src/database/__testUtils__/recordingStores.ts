import { TestDatabases } from '@backstage/backend-test-utils';
import { NumberSettings } from '@mvr/plugin-voice-recording-common';
import {
  CaptureStoreError,
  isCaptureStoreError,
} from '@mvr/plugin-voice-recording-node';
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
 * (`store`), the search (`search`), the numbers (`numbers`), and `addNumber` for a
 * recorded number of a user (recording on weekdays 08:00-18:00, numberSettings() with
 * `settings` on top).
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
    numbers,
    addNumber: (
      number: string,
      userRef: string,
      settings: Partial<NumberSettings> = {},
    ) =>
      numbers.create({
        number,
        userRef,
        mvrActive: true,
        fmu: false,
        settings: numberSettings(settings),
        slots: [OFFICE_HOURS],
      }),
  };
}

/** The CaptureStoreError `p` rejects with; throws when it fulfils or rejects with anything else. */
export async function captureStoreRejection(
  p: Promise<unknown>,
): Promise<CaptureStoreError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isCaptureStoreError(e)) {
    throw new Error(`expected a CaptureStoreError, got ${String(e)}`);
  }
  return e;
}
