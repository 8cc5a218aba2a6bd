import { TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { migrationConfig } from './util';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/**
 * Rolls back the migrations that came after `name` (one at a time), then `name` alone;
 * returns the last rollback's log (the files it ran).
 */
async function downThrough(knex: Knex, name: string): Promise<string[]> {
  for (;;) {
    const [, log] = await knex.migrate.down(migrationConfig);
    const files = (log as string[]).map(f => f.replace(/^.*\//, ''));
    if (files.length === 0) throw new Error(`${name} is not applied`);
    if (files.includes(name)) return files;
  }
}

describe.each(databases.eachSupportedId())('migrations on %s', databaseId => {
  it('walks up, down and up again', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(migrationConfig);
    for (const t of [
      'vr_planning_models',
      'vr_planning_model_slots',
      'vr_numbers',
      'vr_number_slots',
      'vr_audit_log',
    ]) {
      expect(await knex.schema.hasTable(t)).toBe(true);
    }
    await knex('vr_numbers').insert({
      id: 'n1',
      number: '+32470123456',
      user_ref: 'user:default/bob',
    });
    const dup = await knex('vr_numbers')
      .insert({
        id: 'n2',
        number: '+32470123456',
        user_ref: 'user:default/carol',
      })
      .then(
        () => 'inserted',
        (e: Error) => e.message,
      );
    expect(dup).toMatch(/unique|UNIQUE|duplicate/);
    await knex.migrate.rollback(migrationConfig, true);
    expect(await knex.schema.hasTable('vr_numbers')).toBe(false);
    expect(await knex.schema.hasTable('vr_audit_log')).toBe(false);
    await knex.migrate.latest(migrationConfig);
    expect(await knex.schema.hasTable('vr_numbers')).toBe(true);
    await knex.destroy();
  });

  it('rolls back the archive compression alone, keeping the phone-search triggers', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(migrationConfig);
    const sqlite = databaseId.startsWith('SQLITE');
    const columns = async () => [
      await knex.schema.hasColumn('vr_conversations', 'compress_to'),
      await knex.schema.hasColumn('vr_conversations', 'superseded_storage_key'),
    ];
    const compressionIndexes = async (): Promise<string[]> =>
      sqlite
        ? knex('sqlite_master')
            .where({ type: 'index', tbl_name: 'vr_conversations' })
            .whereIn('name', [
              'vr_conversations_compress_idx',
              'vr_conversations_superseded_idx',
            ])
            .orderBy('name')
            .pluck('name')
        : knex('pg_indexes')
            .where({ tablename: 'vr_conversations' })
            .whereIn('indexname', [
              'vr_conversations_compress_idx',
              'vr_conversations_superseded_idx',
            ])
            .orderBy('indexname')
            .pluck('indexname');
    // (the audit tables' append-only triggers come and go with a later migration)
    const triggers = async (): Promise<
      { name: string; tbl_name: string; sql: string }[]
    > =>
      sqlite
        ? knex('sqlite_master')
            .where({ type: 'trigger' })
            .whereNot('tbl_name', 'like', 'vr_audit_%')
            .orderBy('name')
            .select('name', 'tbl_name', 'sql')
        : knex('information_schema.triggers')
            .whereNot('event_object_table', 'like', 'vr_audit_%')
            .orderBy(['trigger_name', 'event_manipulation'])
            .select({
              name: 'trigger_name',
              tbl_name: 'event_object_table',
              sql: 'action_statement',
            });
    const conversation = (id: string, number: string) => ({
      id,
      number,
      number_digits: number.replace(/\D/g, ''),
      user_ref: 'user:default/bob',
      started_at: new Date('2025-06-02T08:00:00.000Z'),
      sip_call_id: `call-${id}`,
      participants: '[]',
      metadata: '{}',
      dtmf: '[]',
      state: 'finished',
      capture_source: 'siprec',
    });
    // the phone-search index the triggers fill (SQLite only)
    const phoneRows = async () =>
      sqlite
        ? knex('vr_conversations_phone')
            .orderBy('conversation_id')
            .select('conversation_id', 'number_digits')
        : [];

    expect(await columns()).toEqual([true, true]);
    expect(await compressionIndexes()).toEqual([
      'vr_conversations_compress_idx',
      'vr_conversations_superseded_idx',
    ]);
    const before = await triggers();
    expect(
      before.filter(t => t.tbl_name === 'vr_conversations').map(t => t.name),
    ).toEqual(
      sqlite
        ? [
            'vr_conversations_phone_ad',
            'vr_conversations_phone_ai',
            'vr_conversations_phone_au',
          ]
        : [],
    );
    await knex('vr_conversations').insert({
      ...conversation('00000000-0000-4000-8000-000000000001', '+32470123456'),
      storage_key: 'interim/1.wav',
      compress_to: 'opus',
    });

    expect(
      await downThrough(knex, '20251001000000_archive_compression.js'),
    ).toEqual(['20251001000000_archive_compression.js']);
    expect(await columns()).toEqual([false, false]);
    expect(await compressionIndexes()).toEqual([]);
    // the row is kept, without the dropped columns
    expect(await knex('vr_conversations').select('id', 'storage_key')).toEqual([
      {
        id: '00000000-0000-4000-8000-000000000001',
        storage_key: 'interim/1.wav',
      },
    ]);
    expect(await triggers()).toEqual(before);
    // and they still fire: a new conversation reaches the phone index
    await knex('vr_conversations').insert(
      conversation('00000000-0000-4000-8000-000000000002', '+32471000002'),
    );
    expect(await phoneRows()).toEqual(
      sqlite
        ? [
            {
              conversation_id: '00000000-0000-4000-8000-000000000001',
              number_digits: '32470123456',
            },
            {
              conversation_id: '00000000-0000-4000-8000-000000000002',
              number_digits: '32471000002',
            },
          ]
        : [],
    );

    await knex.migrate.latest(migrationConfig);
    expect(await columns()).toEqual([true, true]);
    expect(await compressionIndexes()).toEqual([
      'vr_conversations_compress_idx',
      'vr_conversations_superseded_idx',
    ]);
    expect(
      await knex('vr_conversations')
        .where('id', '00000000-0000-4000-8000-000000000001')
        .first('compress_to', 'superseded_storage_key'),
    ).toEqual({ compress_to: null, superseded_storage_key: null });
    expect(await triggers()).toEqual(before);
    await knex.destroy();
  });
  it('rolls back the audio issues column alone, keeping its rows and the phone-search triggers', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(migrationConfig);
    const sqlite = databaseId.startsWith('SQLITE');
    const triggers = async () =>
      sqlite
        ? knex('sqlite_master')
            .where({ type: 'trigger', tbl_name: 'vr_conversations' })
            .orderBy('name')
            .pluck('name')
        : [];
    const index = async (): Promise<string[]> =>
      sqlite
        ? knex('sqlite_master')
            .where({ type: 'index', name: 'vr_conversations_audio_issues_idx' })
            .pluck('name')
        : knex('pg_indexes')
            .where({ indexname: 'vr_conversations_audio_issues_idx' })
            .pluck('indexname');
    const before = await triggers();
    expect(
      await knex.schema.hasColumn('vr_conversations', 'audio_issues'),
    ).toBe(true);
    expect(await index()).toEqual(['vr_conversations_audio_issues_idx']);
    await knex('vr_conversations').insert({
      id: '00000000-0000-4000-8000-000000000003',
      number: '+32470123456',
      number_digits: '32470123456',
      user_ref: 'user:default/bob',
      started_at: new Date('2025-06-02T08:00:00.000Z'),
      sip_call_id: 'call-3',
      participants: '[]',
      metadata: '{}',
      dtmf: '[]',
      state: 'finished',
      capture_source: 'siprec',
      audio_issues: '["no-media"]',
    });
    expect(
      await downThrough(knex, '20261205012116_conversation_audio_issues.js'),
    ).toEqual(['20261205012116_conversation_audio_issues.js']);
    expect(
      await knex.schema.hasColumn('vr_conversations', 'audio_issues'),
    ).toBe(false);
    expect(await index()).toEqual([]);
    expect(await knex('vr_conversations').pluck('id')).toEqual([
      '00000000-0000-4000-8000-000000000003',
    ]);
    expect(await triggers()).toEqual(before);
    await knex.migrate.latest(migrationConfig);
    expect(await knex('vr_conversations').first('audio_issues')).toEqual({
      audio_issues: null,
    });
    expect(await index()).toEqual(['vr_conversations_audio_issues_idx']);
    expect(await triggers()).toEqual(before);
    await knex.destroy();
  });
  it('rolls back the quality check columns alone, keeping the rows and the phone-search triggers', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(migrationConfig);
    const sqlite = databaseId.startsWith('SQLITE');
    const triggers = async () =>
      sqlite
        ? knex('sqlite_master')
            .where({ type: 'trigger', tbl_name: 'vr_conversations' })
            .orderBy('name')
            .pluck('name')
        : [];
    const name = 'vr_conversations_quality_verdict_idx';
    const index = async (): Promise<string[]> =>
      sqlite
        ? knex('sqlite_master').where({ type: 'index', name }).pluck('name')
        : knex('pg_indexes').where({ indexname: name }).pluck('indexname');
    const before = await triggers();
    expect(await index()).toEqual([name]);
    await knex('vr_conversations').insert({
      id: '00000000-0000-4000-8000-000000000004',
      number: '+32470123456',
      number_digits: '32470123456',
      user_ref: 'user:default/bob',
      started_at: new Date('2025-06-02T08:00:00.000Z'),
      sip_call_id: 'call-4',
      participants: '[]',
      metadata: '{}',
      dtmf: '[]',
      state: 'finished',
      capture_source: 'siprec',
      quality_verdict: 'failed',
      quality_check: JSON.stringify({ verdict: 'failed', reasons: [] }),
    });
    expect(
      await downThrough(knex, '20261205235900_conversation_quality.js'),
    ).toEqual(['20261205235900_conversation_quality.js']);
    expect(
      await knex.schema.hasColumn('vr_conversations', 'quality_verdict'),
    ).toBe(false);
    expect(
      await knex.schema.hasColumn('vr_conversations', 'quality_check'),
    ).toBe(false);
    expect(await index()).toEqual([]);
    expect(await knex('vr_conversations').pluck('id')).toEqual([
      '00000000-0000-4000-8000-000000000004',
    ]);
    expect(await triggers()).toEqual(before);
    await knex.migrate.latest(migrationConfig);
    expect(
      await knex('vr_conversations').first('quality_verdict', 'quality_check'),
    ).toEqual({ quality_verdict: null, quality_check: null });
    expect(await index()).toEqual([name]);
    expect(await triggers()).toEqual(before);
    await knex.destroy();
  });
  it('rolls back the recording alarms alone (their table and the conversations index), keeping the phone-search triggers', async () => {
    const knex = await databases.init(databaseId);
    await knex.migrate.latest(migrationConfig);
    const sqlite = databaseId.startsWith('SQLITE');
    const triggers = async () =>
      sqlite
        ? knex('sqlite_master')
            .where({ type: 'trigger', tbl_name: 'vr_conversations' })
            .orderBy('name')
            .pluck('name')
        : [];
    const name = 'vr_conversations_number_state_started_idx';
    const index = async (): Promise<string[]> =>
      sqlite
        ? knex('sqlite_master').where({ type: 'index', name }).pluck('name')
        : knex('pg_indexes').where({ indexname: name }).pluck('indexname');
    const before = await triggers();
    expect(await knex.schema.hasTable('vr_recording_alarms')).toBe(true);
    expect(await index()).toEqual([name]);
    expect(
      await downThrough(knex, '20261206020000_recording_alarms.js'),
    ).toEqual(['20261206020000_recording_alarms.js']);
    expect(await knex.schema.hasTable('vr_recording_alarms')).toBe(false);
    expect(await index()).toEqual([]);
    expect(await triggers()).toEqual(before);
    await knex.migrate.latest(migrationConfig);
    expect(await knex.schema.hasTable('vr_recording_alarms')).toBe(true);
    expect(await index()).toEqual([name]);
    expect(await triggers()).toEqual(before);
    await knex.destroy();
  });
});
