/*
 * storage_location (issue 20): a conversation whose archive is staged on a recorder's disk
 * says so (`staged:<instance>`) from its finish until its upload is verified.
 */
import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { KnexConversationsStore } from './ConversationsStore';
import { NumberRecord } from './NumbersStore';
import { captureStoreRejection as rejection, openRecordingStores } from './__testUtils__/recordingStores';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('conversation storage location on %s', databaseId => {
  let knex: Knex;
  let store: KnexConversationsStore;
  let bob: NumberRecord;

  beforeAll(async () => {
    let addNumber: Awaited<ReturnType<typeof openRecordingStores>>['addNumber'];
    ({ knex, store, addNumber } = await openRecordingStores(databases, databaseId));
    bob = await addNumber('+32470123999', 'user:default/bob');
  });
  afterAll(async () => {
    await knex.destroy();
  });

  async function begun(): Promise<string> {
    const { conversation } = await store.begin({
      recordedNumber: bob,
      startedAt: new Date('2026-12-07T09:00:00.000Z'),
      sipCallId: `call-${randomUUID()}`,
      participants: [{ aor: 'sip:+32470123999@sbc.example', number: '+32470123999', recorded: true }],
      captureSource: 'siprec',
      captureInstance: 'rec-a',
    });
    return conversation.id;
  }

  const finished = (key: string, storageLocation?: string) => ({
    endedAt: new Date('2026-12-07T09:01:00.000Z'),
    endedBy: 'bye' as const,
    storageKey: key,
    sha256: 'cd'.repeat(32),
    bytes: 1000,
    format: 'audio/ogg',
    ...(storageLocation ? { storageLocation } : {}),
  });

  it('keeps staged:<instance> from the finish until the verified upload clears it by key', async () => {
    const id = await begun();
    const key = `recordings/${id}.opus`;
    const { conversation } = await store.finish(id, finished(key, 'staged:rec-a'));
    expect(conversation.storageLocation).toBe('staged:rec-a');
    expect((await store.get(id))?.storageLocation).toBe('staged:rec-a');
    // another recorder's expectation does not match: nothing changes
    expect(await store.setArchiveLocation(key, null, { expected: 'staged:rec-b' })).toBe(0);
    expect((await store.get(id))?.storageLocation).toBe('staged:rec-a');
    expect(await store.setArchiveLocation(key, null, { expected: 'staged:rec-a' })).toBe(1);
    const after = await store.get(id);
    expect(after?.storageLocation).toBeUndefined();
    expect((await knex('vr_conversations').where({ id }).first('storage_location')).storage_location).toBeNull();
    // a key no conversation has (a peak envelope, an upload before the registration)
    expect(await store.setArchiveLocation(`${key}.peaks`, null)).toBe(0);
  });

  it('stores no location for an archive in the configured store, nor for a failed call without audio', async () => {
    const id = await begun();
    const { conversation } = await store.finish(id, finished(`recordings/${id}.opus`));
    expect(conversation.storageLocation).toBeUndefined();
    const failedId = await begun();
    const failed = await store.finish(failedId, {
      endedAt: new Date(),
      endedBy: 'error',
      failureReason: 'no audio',
      storageLocation: 'staged:rec-a',
    });
    expect(failed.conversation.state).toBe('failed');
    expect(failed.conversation.storageLocation).toBeUndefined();
  });

  it('moves the location with a compressed archive that replaces a staged WAV', async () => {
    const id = await begun();
    const wav = `interim/${id}.wav`;
    await store.finish(id, { ...finished(wav, 'staged:rec-a'), format: 'audio/wav', compressTo: 'opus' });
    // the WAV was uploaded first: its key's location cleared
    expect(await store.setArchiveLocation(wav, null, { expected: 'staged:rec-a' })).toBe(1);
    const replaced = await store.replaceArchive(id, {
      expected: { storageKey: wav, sha256: 'cd'.repeat(32) },
      storageKey: `recordings/${id}.opus`,
      sha256: 'ef'.repeat(32),
      bytes: 300,
      format: 'audio/ogg',
      storageLocation: 'staged:rec-a',
    });
    expect(replaced).toBeDefined();
    expect((await store.get(id))?.storageLocation).toBe('staged:rec-a');
    expect(await store.setArchiveLocation(wav, null)).toBe(0);
    expect(await store.setArchiveLocation(`recordings/${id}.opus`, null, { expected: 'staged:rec-a' })).toBe(1);
    expect((await store.get(id))?.storageLocation).toBeUndefined();
  });

  it('refuses a location that is not staged:<instance>, naming it', async () => {
    const id = await begun();
    const e = await rejection(store.finish(id, finished(`recordings/${id}.opus`, 's3://elsewhere')));
    expect(e.code).toBe('invalid');
    expect(e.message).toContain('"s3://elsewhere" is not staged:<instance>');
    expect((await store.get(id))?.state).toBe('recording');
    const e2 = await rejection(store.setArchiveLocation(`recordings/${id}.opus`, `staged:${'x'.repeat(300)}`));
    expect(e2.message).toContain('is not staged:<instance>');
    const e3 = await rejection(store.setArchiveLocation('', null));
    expect(e3.message).toContain('storage key is empty');
  });
});
