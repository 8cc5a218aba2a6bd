import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestDatabases } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { Conversation } from '@mvr/plugin-voice-recording-common';
import {
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
  verifyEd25519,
} from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { ConversationSearchStore } from '../../database/ConversationSearchStore';
import {
  binary,
  caseTestBackend,
  finishedCall,
  tone,
  userRef as ref,
} from '../__testUtils__/caseTestBackend';

jest.setTimeout(180_000);

const run = promisify(execFile);
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const ALICE = ref('alice'); // admin (compliance)
const BOB = ref('bob'); // trader
const ZOE = ref('zoe'); // the calls' user (finishedCall)
const GROUPS: Record<string, string[]> = {
  [ALICE]: ['group:default/compliance'],
  [BOB]: ['group:default/trading'],
  [ZOE]: ['group:default/trading'],
};
const PEM = generateEd25519PrivateKeyPem();
const signer = createEd25519Signer(PEM);
/** the mvr command, as `yarn mvr` runs it */
const MVR = path.resolve(__dirname, '../../../../voice-recording-cli/bin/mvr');

describe.each(databases.eachSupportedId())(
  'integrity routes on %s',
  databaseId => {
    let knex: Knex;
    const sent: NotificationSendOptions[] = [];
    const calls: Conversation[] = [];
    const backend = caseTestBackend({
      databases,
      databaseId,
      groups: GROUPS,
      sent,
      config: {
        signing: { privateKey: PEM },
        integrity: { sweep: { enabled: false, share: 1 } },
      },
    });
    const { get, post, actions } = backend;

    beforeAll(async () => {
      ({ knex } = await backend.start());
      for (let i = 0; i < 2; i++) {
        const audio = await backend.storeRecording(
          `recordings/test/integrity-${i}.opus`,
          tone(1 + i),
        );
        calls.push(finishedCall(`2026-03-0${i + 1}T09:30:00.000Z`, audio));
      }
      await new ConversationSearchStore(knex).insertFinished(calls);
    });

    afterAll(async () => {
      await backend.stop();
    });

    it('publishes the public key to every user of the suite', async () => {
      const res = await get(BOB, '/signing/public-key');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        keyId: signer.keyId,
        algorithm: 'Ed25519',
        publicKeyPem: signer.publicKeyPem,
      });
      const pem = await get(BOB, '/signing/public-key?format=pem');
      expect(pem.status).toBe(200);
      expect(pem.headers['content-disposition']).toMatch(
        new RegExp(`voice-recording-signing-key-${signer.keyId}\\.pem`),
      );
      expect(pem.text).toBe(signer.publicKeyPem);
    });

    it('the admins run a sweep: unsigned calls are verified and signed; only admins see the figures', async () => {
      expect((await get(BOB, '/integrity')).status).toBe(403);
      expect((await post(BOB, '/integrity/sweep')).status).toBe(403);
      const denied = await actions('permission-denied');
      expect(denied.at(-1)).toMatchObject({ actor_ref: BOB });
      const sweep = await post(ALICE, '/integrity/sweep');
      expect(sweep.status).toBe(200);
      expect(sweep.body).toMatchObject({
        state: 'done',
        checked: 2,
        signed: 2,
        mismatches: 0,
        missing: 0,
      });
      const status = await get(ALICE, '/integrity');
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({
        keyId: signer.keyId,
        archived: 2,
        signed: 2,
        verified: 2,
        problems: [],
        lastSweep: { id: sweep.body.id },
        sweep: { share: 1, enabled: false },
      });
    });

    it("lists a call's signatures and verifies it for those who may see it (audited)", async () => {
      const c = calls[0];
      const sigs = await get(ZOE, `/conversations/${c.id}/signatures`);
      expect(sigs.status).toBe(200);
      expect(sigs.body.keyId).toBe(signer.keyId);
      expect(sigs.body.signatures).toHaveLength(1);
      const [s] = sigs.body.signatures;
      expect(verifyEd25519(signer.publicKeyPem, s.payload, s.signature)).toBe(
        true,
      );
      expect(JSON.parse(s.payload)).toMatchObject({
        conversationId: c.id,
        sha256: c.sha256,
      });
      expect(sigs.body.lastCheck).toMatchObject({ outcome: 'signed' });
      // another trader does not see zoe's call
      expect((await get(BOB, `/conversations/${c.id}/signatures`)).status).toBe(
        404,
      );
      expect((await post(BOB, `/conversations/${c.id}/verify`)).status).toBe(
        404,
      );

      const v = await post(ZOE, `/conversations/${c.id}/verify`);
      expect(v.status).toBe(200);
      expect(v.body).toMatchObject({
        ok: true,
        outcome: 'ok',
        sha256: c.sha256,
        keyId: signer.keyId,
        problems: [],
      });
      const audited = await actions('conversation-verify');
      expect(audited.at(-1)).toMatchObject({ actor_ref: ZOE, target_id: c.id });
    });

    it('a real export verifies with the mvr command, and a tampered copy does not', async () => {
      const created = await post(ALICE, '/exports', {
        scope: {
          kind: 'search',
          filters: { from: '2026-03-01T00:00:00.000Z' },
        },
      });
      expect(created.status).toBe(202);
      let job: any;
      for (let i = 0; i < 600; i++) {
        job = (await get(ALICE, `/exports/${created.body.id}`)).body;
        if (!['queued', 'running'].includes(job.state)) break;
        await new Promise(r => setTimeout(r, 100));
      }
      expect(job.state).toBe('done');
      const zip: Buffer = (
        await binary(get(ALICE, `/exports/${job.id}/download`))
      ).body;
      const dir = await fs.mkdtemp(path.join(tmpdir(), 'vr-integrity-export-'));
      try {
        await fs.writeFile(path.join(dir, 'export.zip'), zip);
        await fs.writeFile(path.join(dir, 'key.pem'), signer.publicKeyPem);
        const ok = await run(process.execPath, [
          MVR,
          'verify',
          path.join(dir, 'export.zip'),
          '--public-key',
          path.join(dir, 'key.pem'),
        ]);
        expect(ok.stdout).toMatch(
          /export\.zip: OK\. 2 conversations, .* 2 recording signatures verified with key/,
        );
        // one byte of the first recording flipped inside the ZIP (stored uncompressed or not,
        // the entry's bytes change): the command names a file and fails
        const sums = zip.indexOf(Buffer.from('OggS'));
        expect(sums).toBeGreaterThan(0);
        const bad = Buffer.from(zip);
        bad[sums + 200] ^= 0x01;
        await fs.writeFile(path.join(dir, 'bad.zip'), bad);
        const failed = await run(process.execPath, [
          MVR,
          'verify',
          path.join(dir, 'bad.zip'),
        ]).then(
          () => ({ code: 0, stdout: '' }),
          (e: any) => ({ code: e.code, stdout: String(e.stdout) }),
        );
        expect(failed.code).toBe(1);
        expect(failed.stdout).toMatch(/^FAIL (audio\/\S+|bad\.zip): /m);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it('a tampered archive fails its verification, raising the alarm to the admins', async () => {
      const c = calls[1];
      const file = (
        await knex('vr_conversations').where({ id: c.id }).first('storage_key')
      ).storage_key;
      const blobs = await backend.storeRecording(file, tone(1)); // other audio under the same key
      expect(blobs.sha256).not.toBe(c.sha256);
      sent.length = 0;
      const v = await post(ALICE, `/conversations/${c.id}/verify`);
      expect(v.status).toBe(200);
      expect(v.body).toMatchObject({
        ok: false,
        outcome: 'mismatch',
        sha256: blobs.sha256,
        expectedSha256: c.sha256,
      });
      expect(v.body.problems[0]).toMatch(/not the registered/);
      const alarm = await actions('integrity-mismatch');
      expect(alarm.at(-1)).toMatchObject({ target_id: c.id });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        recipients: { type: 'entity', entityRef: ['group:default/compliance'] },
        payload: { title: 'Integrity alarm: 1 recording failed verification' },
      });
      const status = await get(ALICE, '/integrity');
      expect(status.body.problems).toEqual([
        expect.objectContaining({
          conversationId: c.id,
          outcome: 'mismatch',
          userRef: ZOE,
        }),
      ]);
    });
  },
);
