import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  canonicalJson,
  Conversation,
  EXPORT_MANIFEST_FORMAT,
  ExportManifest,
} from '@mvr/plugin-voice-recording-common';
import {
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
  verifyEd25519,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import request from 'supertest';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import { RecordingSignaturesStore } from '../../database/RecordingSignaturesStore';
import {
  binary,
  caseTestBackend,
  finishedCall,
  tone,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';
import { createNumberAddedAt } from '../__testUtils__/recordedNumbers';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = ref('alice'); // admin (compliance)
const BOB = ref('bob'); // trader: no export permission
const GROUPS: Record<string, string[]> = {
  [ALICE]: ['group:default/compliance'],
  [BOB]: ['group:default/trading'],
};
const sent: NotificationSendOptions[] = [];
const PEM = generateEd25519PrivateKeyPem();
const signer = createEd25519Signer(PEM);

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The files of a ZIP, unpacked with `unzip` (an independent reader). */
function unpack(zip: Buffer): Map<string, Buffer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vr-export-test-'));
  try {
    writeFileSync(path.join(dir, 'package.zip'), zip);
    execFileSync('unzip', [
      '-q',
      path.join(dir, 'package.zip'),
      '-d',
      path.join(dir, 'x'),
    ]);
    const files = new Map<string, Buffer>();
    const walk = (rel: string) => {
      for (const name of readdirSync(path.join(dir, 'x', rel))) {
        const r = rel ? `${rel}/${name}` : name;
        if (statSync(path.join(dir, 'x', r)).isDirectory()) walk(r);
        else files.set(r, readFileSync(path.join(dir, 'x', r)));
      }
    };
    walk('');
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a recipient checks: SHA256SUMS covers every other file, and each hash is right. */
function checkSums(files: Map<string, Buffer>) {
  const lines = files.get('SHA256SUMS')!.toString('utf8').trim().split('\n');
  const listed = new Map(
    lines.map(l => {
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(l);
      expect(m).not.toBeNull();
      return [m![2], m![1]] as const;
    }),
  );
  expect([...listed.keys()].sort()).toEqual(
    [...files.keys()].filter(f => f !== 'SHA256SUMS').sort(),
  );
  for (const [name, hex] of listed)
    expect([name, sha256(files.get(name)!)]).toEqual([name, hex]);
}

describe.each(databases.eachSupportedId())(
  'regulator exports on %s',
  databaseId => {
    let knex: Knex;
    let app: any;
    const caseCalls: Conversation[] = [];
    let otherCall: Conversation;
    let caseId: string;
    let labelId: string;
    let numberId: string;
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: GROUPS,
      sent,
      config: { signing: { privateKey: PEM } },
    });
    const { get, post, actions } = backend;

    /** Polls the job until it is no longer queued or running. */
    const finished = async (who: string, id: string) => {
      for (let i = 0; i < 600; i++) {
        const res = await get(who, `/exports/${id}`);
        expect(res.status).toBe(200);
        if (!['queued', 'running'].includes(res.body.state)) return res.body;
        await new Promise(r => setTimeout(r, 100));
      }
      throw new Error(`export ${id} did not finish`);
    };

    const download = async (who: string, id: string) =>
      binary(get(who, `/exports/${id}/download`));

    beforeAll(async () => {
      ({ app, knex } = await backend.start());
      const audio = await backend.storeRecording(
        'recordings/test/export-call.opus',
        tone(2),
      );
      for (let i = 0; i < 3; i++)
        caseCalls.push(
          finishedCall(`2026-03-0${i + 1}T09:30:00.000Z`, {
            ...audio,
            // a party's name from SIP metadata that a spreadsheet would run as a formula
            participants: [
              {
                aor: 'sip:+32470999000@x',
                number: '+32470999000',
                recorded: true,
              },
              {
                aor: 'sip:+32475111222@x',
                number: '+32475111222',
                name: '=HYPERLINK("x")',
              },
            ],
          }),
        );
      otherCall = finishedCall('2026-03-05T09:30:00.000Z', {
        ...audio,
        number: '+32470999111',
        otherParty: '+32475000000',
      });
      const noAudio = finishedCall('2026-03-02T10:00:00.000Z', {
        state: 'failed',
      });
      await new ConversationSearchStore(knex).insertFinished([
        ...caseCalls,
        otherCall,
        noAudio,
      ]);
      const res = await post(ALICE, '/cases', {
        title: 'Client X complaint',
        description: 'Calls of client X',
        label: { title: 'Client X', colour: '#D32F2F' },
      });
      if (res.status !== 201)
        throw new Error(`case not created: ${res.status}`);
      caseId = res.body.id;
      labelId = res.body.label.id;
      for (const c of [...caseCalls, noAudio]) {
        const l = await request(app)
          .put(`${backend.api}/conversations/${c.id}/labels/${labelId}`)
          .set(backend.as(ALICE));
        if (l.status >= 300) throw new Error(`label not added: ${l.status}`);
      }
      // the first call's signature chain: the Opus archive's signature replaced the WAV's
      const sigs = new RecordingSignaturesStore(knex);
      const payload = (sha: string, replaces?: string) =>
        canonicalJson({
          v: 1,
          conversationId: caseCalls[0].id,
          sha256: sha,
          bytes: 1,
          format: 'audio/ogg; codecs=opus',
          number: caseCalls[0].number,
          userRef: caseCalls[0].userRef,
          participants: ['+32470999000', '+32475111222'],
          startedAt: caseCalls[0].startedAt,
          replacesSha256: replaces,
          signedAt: '2026-03-01T09:31:00.000Z',
        });
      const first = await sigs.insert({
        conversationId: caseCalls[0].id,
        storageKey: 'recordings/test/export-call.wav',
        sha256: 'a'.repeat(64),
        bytes: 1,
        format: 'audio/wav',
        payload: payload('a'.repeat(64)),
        signature: signer.sign(payload('a'.repeat(64))),
        keyId: signer.keyId,
        signedAt: new Date('2026-03-01T09:30:30.000Z'),
      });
      await sigs.insert({
        conversationId: caseCalls[0].id,
        storageKey: audio.storageKey,
        sha256: audio.sha256,
        bytes: audio.bytes,
        format: audio.format,
        payload: payload(audio.sha256, 'a'.repeat(64)),
        signature: signer.sign(payload(audio.sha256, 'a'.repeat(64))),
        keyId: signer.keyId,
        replacesId: first.id,
        signedAt: new Date('2026-03-01T09:31:00.000Z'),
      });
      const n = await createNumberAddedAt(knex, {
        number: '+32470999111',
        userRef: ref('yann'),
        createdAt: '2026-01-01T00:00:00.000Z',
      });
      numberId = n.id;
    });

    afterAll(async () => {
      await backend.stop();
    });

    it('builds a case export: signed manifest, hashes, labels, hold, signature chain; audited', async () => {
      // a standing hold on the case's label holds its calls
      await knex('vr_legal_holds').insert({
        id: randomUUID(),
        case_id: caseId,
        label_id: labelId,
        reason: 'litigation',
        reference: 'HC-1',
        state: 'active',
        placed_by: ALICE,
        placed_at: new Date(),
      });
      // the retention end the archive keeps (vr_conversations.retention_until)
      await knex('vr_conversations')
        .where({ id: caseCalls[0].id })
        .update({ retention_until: new Date('2033-03-01T09:30:03.000Z') });
      const created = await post(ALICE, '/exports', {
        scope: { kind: 'case', caseId },
      });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({
        state: 'queued',
        scopeTitle: 'Case: Client X complaint',
        includeMp3: false,
        requestedBy: ALICE,
      });
      const job = await finished(ALICE, created.body.id);
      expect(job).toMatchObject({
        state: 'done',
        done: 3,
        total: 4,
        skipped: 1,
      });
      expect(job.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(job.expiresAt) - Date.parse(job.finishedAt)).toBe(
        7 * 86_400_000,
      );

      const res = await download(ALICE, job.id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/zip');
      expect(res.headers['content-disposition']).toMatch(
        /^attachment; filename="voice-recording-export_\d{4}-\d{2}-\d{2}_[0-9a-f]{8}\.zip"$/,
      );
      const zip = res.body as Buffer;
      expect(zip.length).toBe(job.bytes);
      expect(sha256(zip)).toBe(job.sha256);

      const files = unpack(zip);
      expect([...files.keys()].sort()).toEqual(
        [
          'README.txt',
          'SHA256SUMS',
          'manifest.csv',
          'manifest.json',
          'manifest.json.sig',
          'public-key.pem',
          ...caseCalls.map(c => `audio/${c.id}.ogg`),
        ].sort(),
      );
      checkSums(files);
      const manifestBytes = files.get('manifest.json')!;
      const publicKey = files.get('public-key.pem')!.toString('utf8');
      expect(publicKey).toBe(signer.publicKeyPem);
      expect(
        verifyEd25519(
          publicKey,
          manifestBytes,
          files.get('manifest.json.sig')!.toString('utf8').trim(),
        ),
      ).toBe(true);
      // one flipped byte of the manifest fails the signature
      const flipped = Buffer.from(manifestBytes);
      flipped[10] ^= 1;
      expect(
        verifyEd25519(
          publicKey,
          flipped,
          files.get('manifest.json.sig')!.toString('utf8').trim(),
        ),
      ).toBe(false);

      const manifest = JSON.parse(
        manifestBytes.toString('utf8'),
      ) as ExportManifest;
      expect(manifest).toMatchObject({
        format: EXPORT_MANIFEST_FORMAT,
        exportId: job.id,
        createdBy: ALICE,
        scope: { kind: 'case', caseId },
        scopeTitle: 'Case: Client X complaint',
        keyId: signer.keyId,
      });
      expect(manifest.conversations.map(c => c.id)).toEqual(
        caseCalls.map(c => c.id),
      );
      const first = manifest.conversations[0];
      expect(first).toMatchObject({
        number: '+32470999000',
        userRef: ref('zoe'),
        participants: ['+32470999000', '+32475111222'],
        direction: 'outgoing',
        otherParty: '+32475111222',
        startedAt: '2026-03-01T09:30:00.000Z',
        durationMs: 3000,
        recorderInstance: 'test',
        labels: ['Client X'],
        cases: ['Client X complaint'],
        legalHold: true,
        retentionUntil: '2033-03-01T09:30:03.000Z',
        audio: {
          file: `audio/${caseCalls[0].id}.ogg`,
          sha256: caseCalls[0].sha256,
          bytes: caseCalls[0].bytes,
          format: 'audio/ogg; codecs=opus',
        },
      });
      // the chain: the current archive's signature first, then the one it replaced
      expect(first.signatures.map(s => JSON.parse(s.payload).sha256)).toEqual([
        caseCalls[0].sha256,
        'a'.repeat(64),
      ]);
      expect(first.signatures[0].replacesId).toBe(first.signatures[1].id);
      for (const s of first.signatures)
        expect(verifyEd25519(publicKey, s.payload, s.signature)).toBe(true);
      expect(JSON.parse(first.signatures[0].payload).sha256).toBe(
        sha256(files.get(first.audio.file)!),
      );
      expect(manifest.conversations[1].signatures).toEqual([]);

      // CSV: a row per recording, the formula from SIP metadata neutralised
      const csv = files.get('manifest.csv')!.toString('utf8');
      expect(csv.split('\n')[0]).toMatch(/^id,number,userRef,participants,/);
      expect(csv.trim().split('\n')).toHaveLength(4);
      expect(csv).toContain('legalHold');
      const readme = files.get('README.txt')!.toString('utf8');
      expect(readme).toContain('yarn mvr verify');
      expect(readme).toContain('sha256sum -c SHA256SUMS');
      expect(readme).toContain(signer.keyId);

      const [create] = await actions('export-create');
      expect(create).toMatchObject({ actor_ref: ALICE, target_id: job.id });
      const complete = (await actions('export-complete')).find(
        a => a.target_id === job.id,
      );
      const details = (d: any) => (typeof d === 'string' ? JSON.parse(d) : d);
      expect(details(complete.details)).toMatchObject({
        sha256: job.sha256,
        count: 3,
        requestedBy: ALICE,
        outcome: 'succeeded',
      });
      const downloads = (await actions('export-download')).filter(
        a => a.target_id === job.id,
      );
      expect(downloads).toHaveLength(1);
      expect(details(downloads[0].details)).toMatchObject({
        sha256: job.sha256,
        outcome: 'succeeded',
      });
    });

    it('exports one number for a period, with MP3 copies', async () => {
      const created = await post(ALICE, '/exports', {
        scope: {
          kind: 'number',
          numberId,
          from: '2026-03-01T00:00:00.000Z',
          to: '2026-04-01T00:00:00.000Z',
        },
        includeMp3: true,
      });
      expect(created.status).toBe(202);
      expect(created.body.scopeTitle).toContain('+32470999111');
      const job = await finished(ALICE, created.body.id);
      expect(job).toMatchObject({ state: 'done', done: 1, total: 1 });
      const files = unpack((await download(ALICE, job.id)).body);
      checkSums(files);
      expect(files.has(`audio/${otherCall.id}.ogg`)).toBe(true);
      const mp3 = files.get(`mp3/${otherCall.id}.mp3`)!;
      // an MP3 frame (or an ID3 tag) at the start
      expect(mp3.subarray(0, 3).toString('latin1')).toBe('ID3');
      const manifest = JSON.parse(
        files.get('manifest.json')!.toString('utf8'),
      ) as ExportManifest;
      expect(manifest.conversations).toHaveLength(1);
      expect(manifest.conversations[0]).toMatchObject({
        id: otherCall.id,
        legalHold: false,
        labels: [],
        mp3: {
          file: `mp3/${otherCall.id}.mp3`,
          sha256: sha256(mp3),
          bytes: mp3.length,
        },
      });
    });

    it('exports a search with the filters of GET /conversations', async () => {
      const created = await post(ALICE, '/exports', {
        scope: {
          kind: 'search',
          filters: { phone: '+32475111222', from: '2026-03-02T00:00:00.000Z' },
        },
      });
      expect(created.status).toBe(202);
      const job = await finished(ALICE, created.body.id);
      expect(job.state).toBe('done');
      const files = unpack((await download(ALICE, job.id)).body);
      checkSums(files);
      const manifest = JSON.parse(
        files.get('manifest.json')!.toString('utf8'),
      ) as ExportManifest;
      expect(manifest.conversations.map(c => c.id)).toEqual([
        caseCalls[1].id,
        caseCalls[2].id,
      ]);
      expect(manifest.scope).toEqual({
        kind: 'search',
        filters: { phone: '+32475111222', from: '2026-03-02T00:00:00.000Z' },
      });
    });

    it('answers 400 naming the field, and creates nothing', async () => {
      const before = (await knex('vr_export_jobs').count({ n: '*' }))[0].n;
      const cases: Array<[object, string]> = [
        [{ scope: { kind: 'case', caseId: 'nope' } }, 'scope.caseId'],
        [{ scope: { kind: 'case', caseId: randomUUID() } }, 'scope.caseId'],
        [{ scope: { kind: 'planet' } }, 'scope.kind'],
        [
          {
            scope: {
              kind: 'number',
              numberId,
              from: '2026-04-01T00:00:00.000Z',
              to: '2026-03-01T00:00:00.000Z',
            },
          },
          'scope.to',
        ],
        [
          {
            scope: {
              kind: 'number',
              numberId: 'unknown',
              from: '2026-03-01T00:00:00.000Z',
              to: '2026-04-01T00:00:00.000Z',
            },
          },
          'scope.numberId',
        ],
        [
          { scope: { kind: 'search', filters: { direction: 'sideways' } } },
          'scope.filters.direction',
        ],
        [
          { scope: { kind: 'search', filters: { number: 'abc' } } },
          'scope.filters.number',
        ],
        [{ scope: { kind: 'case', caseId }, includeMp3: 'yes' }, 'includeMp3'],
      ];
      for (const [body, field] of cases) {
        const res = await post(ALICE, '/exports', body);
        expect([res.status, res.body.error?.message]).toEqual([
          400,
          expect.stringContaining(field),
        ]);
      }
      expect((await knex('vr_export_jobs').count({ n: '*' }))[0].n).toEqual(
        before,
      );
    });

    it('refuses users without the export permission (403, audited) and hides others\u2019 jobs', async () => {
      const res = await post(BOB, '/exports', {
        scope: { kind: 'case', caseId },
      });
      expect(res.status).toBe(403);
      const [alices] = (await get(ALICE, '/exports')).body.items;
      expect(alices.requestedBy).toBe(ALICE);
      for (const url of [
        '/exports',
        `/exports/${alices.id}`,
        `/exports/${alices.id}/download`,
      ])
        expect([url, (await get(BOB, url)).status]).toEqual([url, 403]);
      const denied = (await actions('permission-denied')).filter(
        a => a.actor_ref === BOB && a.target_type === 'export',
      );
      expect(denied.length).toBeGreaterThanOrEqual(4);
    });

    it('deletes a job and its package (audited); downloads of a deleted job are 404', async () => {
      const created = await post(ALICE, '/exports', {
        scope: { kind: 'case', caseId },
      });
      const job = await finished(ALICE, created.body.id);
      expect(job.state).toBe('done');
      const del = await request(app)
        .delete(`${backend.api}/exports/${job.id}`)
        .set(backend.as(ALICE));
      expect(del.status).toBe(204);
      expect((await get(ALICE, `/exports/${job.id}`)).status).toBe(404);
      expect((await get(ALICE, `/exports/${job.id}/download`)).status).toBe(
        404,
      );
      const deletes = (await actions('export-delete')).filter(
        a => a.target_id === job.id,
      );
      expect(deletes).toHaveLength(1);
    });
  },
);
