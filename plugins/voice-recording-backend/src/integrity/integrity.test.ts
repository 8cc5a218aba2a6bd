import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import {
  canonicalJson,
  SignedRecordingPayload,
} from '@mvr/plugin-voice-recording-common';
import {
  CaptureContext,
  createEd25519Signer,
  generateEd25519PrivateKeyPem,
  LocalFileBlobStore,
  RecordingSigner,
  verifyEd25519,
} from '@mvr/plugin-voice-recording-node';
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import { Knex } from 'knex';
import { createCaptureContext } from '../capture/createCaptureContext';
import { KnexAuditLogStore } from '../database/AuditLogStore';
import { ConversationSearchStore } from '../database/ConversationSearchStore';
import { KnexConversationsStore } from '../database/ConversationsStore';
import { IntegrityStore } from '../database/IntegrityStore';
import { KnexNumbersStore } from '../database/NumbersStore';
import { RecordingSignaturesStore } from '../database/RecordingSignaturesStore';
import { applyDatabaseMigrations } from '../database/util';
import { IntegrityNotifier } from '../notifiers/IntegrityNotifier';
import { AuditRecorder } from '../service/AuditRecorder';
import { IntegrityService } from './IntegrityService';
import { RecordingSigning } from './RecordingSigning';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const BOB = '+32470123456';
const CLIENT = '+32475111222';
const ADMINS = ['group:default/compliance'];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.each(databases.eachSupportedId())(
  'signed recordings and the integrity sweep on %s',
  databaseId => {
    let knex: Knex;
    let dir: string;
    let blobs: LocalFileBlobStore;
    let signer: RecordingSigner;
    let signatures: RecordingSignaturesStore;
    let signing: RecordingSigning;
    let auditLog: KnexAuditLogStore;
    let audit: AuditRecorder;
    let ctx: CaptureContext;
    let numberId: string;
    const sent: any[] = [];
    const logger = mockServices.rootLogger({ level: 'none' });

    const integrity = (share = 1) =>
      new IntegrityService({
        conversations: new ConversationSearchStore(knex),
        blobs,
        signing,
        store: new IntegrityStore(knex),
        audit,
        notifier: new IntegrityNotifier(
          { send: async (n: any) => void sent.push(n) },
          ADMINS,
          logger,
          audit,
        ),
        logger,
        sweep: {
          enabled: true,
          share,
          frequency: { hours: 24 },
          frequencyText: 'every 24 hours',
        },
      });

    const audits = async (action: string, id?: string) =>
      (
        await auditLog.list({
          action,
          ...(id ? { target: `conversation:${id}` } : {}),
        })
      ).items;

    /** a finished call with a real archive file; returns its id and bytes */
    async function recordCall(
      context: CaptureContext = ctx,
      content = Buffer.from(`OggS audio ${randomUUID()} `.repeat(40)),
      compressTo?: 'opus',
    ) {
      const id = await context.conversations.begin({
        recordedNumber: {
          id: numberId,
          number: BOB,
          userRef: 'user:default/bob',
        },
        direction: 'outgoing',
        otherParty: CLIENT,
        startedAt: new Date('2026-12-01T09:00:00.000Z'),
        sipCallId: `call-${randomUUID()}`,
        participants: [
          `sip:${BOB}@sbc.example`,
          `sip:${CLIENT}@operator.example`,
        ],
        instanceId: 'rec-1',
      });
      const key = `2026/12/01/${id}.ogg`;
      const put = await blobs.put(key, content, { contentType: 'audio/ogg' });
      const c = await context.conversations.finish(id, {
        endedAt: new Date('2026-12-01T09:01:00.000Z'),
        endedBy: 'bye',
        storageKey: key,
        sha256: put.sha256,
        bytes: put.size,
        format: 'audio/ogg; codecs=opus',
        durationMs: 60_000,
        ...(compressTo ? { compressTo } : {}),
      });
      return { id, key, content, conversation: c };
    }

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      dir = await fs.mkdtemp(nodePath.join(os.tmpdir(), 'mvr-integrity-'));
      blobs = new LocalFileBlobStore(dir, { minFreeBytes: 0 });
      signer = createEd25519Signer(generateEd25519PrivateKeyPem());
      signatures = new RecordingSignaturesStore(knex);
      signing = new RecordingSigning({ signer, store: signatures, logger });
      auditLog = new KnexAuditLogStore(knex);
      audit = new AuditRecorder(mockServices.auditor.mock(), auditLog, logger);
      const numbers = new KnexNumbersStore(knex);
      numberId = (
        await numbers.create({
          number: BOB,
          userRef: 'user:default/bob',
          mvrActive: true,
          fmu: false,
          settings: {
            beep: false,
            smsOnStatusChange: false,
            statusMode: 'auto',
            activeStatus: 'professional',
            selfManaged: false,
            simultaneousCalls: false,
            timeZone: 'Europe/Brussels',
          },
          slots: [{ weekdays: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }],
        })
      ).id;
      ctx = createCaptureContext({
        sourceId: 'siprec',
        numbers,
        conversations: new KnexConversationsStore(knex),
        audit,
        logger,
        config: { defaultCountry: 'BE', emergencyNumbers: ['112'] },
        storage: blobs,
        signing,
      });
    });

    afterAll(async () => {
      await knex.destroy();
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('signs a finalized recording: its hash and metadata, with the installation key', async () => {
      const { id, key, content } = await recordCall();
      const [s, ...older] = await signatures.listStored(id);
      expect(older).toEqual([]);
      expect(s).toMatchObject({
        conversationId: id,
        keyId: signer.keyId,
        storageKey: key,
        sha256: sha(content),
        bytes: content.length,
      });
      const payload: SignedRecordingPayload = JSON.parse(s.payload);
      expect(payload).toEqual({
        v: 1,
        conversationId: id,
        sha256: sha(content),
        bytes: content.length,
        format: 'audio/ogg; codecs=opus',
        number: BOB,
        userRef: 'user:default/bob',
        participants: [BOB, CLIENT],
        direction: 'outgoing',
        otherParty: CLIENT,
        startedAt: '2026-12-01T09:00:00.000Z',
        endedAt: '2026-12-01T09:01:00.000Z',
        durationMs: 60_000,
        recorderInstance: 'rec-1',
        signedAt: s.signedAt,
      });
      // the stored payload is the canonical text, and the signature is over it
      expect(canonicalJson(payload)).toBe(s.payload);
      expect(verifyEd25519(signer.publicKeyPem, s.payload, s.signature)).toBe(
        true,
      );
      expect(
        verifyEd25519(
          signer.publicKeyPem,
          s.payload.replace(BOB, '+32470000000'),
          s.signature,
        ),
      ).toBe(false);
      // the finish audit names the signature
      const [finish] = await audits('conversation-finish', id);
      expect(finish.details).toMatchObject({
        signatureId: s.id,
        keyId: signer.keyId,
      });
    });

    it('signs the re-encoded archive, chained to the one it replaced', async () => {
      const wav = Buffer.from(`RIFF lossless ${randomUUID()}`.repeat(100));
      const { id, key } = await recordCall(ctx, wav, 'opus');
      const [first] = await signatures.listStored(id);
      const opus = Buffer.from(`OggS opus ${randomUUID()}`.repeat(10));
      const opusKey = key.replace(/\.ogg$/, '.opus.ogg');
      const put = await blobs.put(opusKey, opus, { contentType: 'audio/ogg' });
      expect(
        await ctx.conversations.replaceArchive(id, {
          expected: { storageKey: key, sha256: sha(wav) },
          storageKey: opusKey,
          sha256: put.sha256.toUpperCase(),
          bytes: put.size,
          format: 'audio/ogg; codecs=opus',
        }),
      ).toBe('replaced');
      const list = (await signatures.listForConversations([id])).get(id)!;
      expect(list.map(s => s.id)).toEqual([expect.any(String), first.id]);
      expect(list[0].replacesId).toBe(first.id);
      const payload = JSON.parse(list[0].payload);
      expect(payload).toMatchObject({
        sha256: sha(opus),
        bytes: opus.length,
        replacesSha256: sha(wav),
      });
      expect(
        verifyEd25519(signer.publicKeyPem, list[0].payload, list[0].signature),
      ).toBe(true);
      const [compressed] = await audits('conversation-archive-compressed', id);
      expect(compressed.details).toMatchObject({
        signatureId: list[0].id,
        keyId: signer.keyId,
      });
      // the verification on request finds the new archive intact and signed
      const v = await integrity().verifyOnRequest(
        { ref: 'user:default/alice' } as any,
        (await ctx.conversations.get(id))!,
      );
      expect(v).toMatchObject({
        ok: true,
        outcome: 'ok',
        sha256: sha(opus),
        signatureId: list[0].id,
      });
      expect((await audits('conversation-verify', id))[0]).toMatchObject({
        actorRef: 'user:default/alice',
      });
    });

    it('keeps a recording whose signing failed (audited), and the sweep signs it', async () => {
      const failing = createCaptureContext({
        sourceId: 'siprec',
        numbers: new KnexNumbersStore(knex),
        conversations: new KnexConversationsStore(knex),
        audit,
        logger,
        config: { defaultCountry: 'BE', emergencyNumbers: ['112'] },
        storage: blobs,
        signing: {
          keyId: signer.keyId,
          signCurrentArchive: async () => {
            throw new Error('database is busy');
          },
        },
      });
      const { id, conversation } = await recordCall(failing);
      expect(conversation.state).toBe('finished');
      expect(await signatures.listStored(id)).toEqual([]);
      const [failed] = await audits('recording-sign-failed', id);
      expect(failed.details).toMatchObject({
        keyId: signer.keyId,
        error: 'database is busy',
        outcome: 'succeeded',
      });
      // a verification on request reports it unsigned and changes nothing
      const v = await integrity().check((await ctx.conversations.get(id))!);
      expect(v).toMatchObject({ ok: false, outcome: 'unsigned' });
      expect(await signatures.listStored(id)).toEqual([]);
      // the sweep signs it
      const sweep = await integrity().sweep();
      expect(sweep.signed).toBeGreaterThanOrEqual(1);
      expect(await signatures.listStored(id)).toHaveLength(1);
      expect(await audits('recording-signed', id)).toHaveLength(1);
      expect(await new IntegrityStore(knex).lastCheck(id)).toMatchObject({
        outcome: 'signed',
        sweepId: sweep.id,
      });
    });

    it('the sweep finds a tampered file, a missing file and an altered registered hash: audit entries, one notification, the Integrity figures', async () => {
      // everything verified once, so that the next sweep's findings are only these
      await integrity().sweep();
      sent.length = 0;
      const flipped = await recordCall();
      const removed = await recordCall();
      const rehashed = await recordCall();
      const intact = await recordCall();
      // a byte flipped on disk
      const path = blobs.resolveKey(flipped.key);
      const bytes = await fs.readFile(path);
      bytes[10] ^= 0xff;
      await fs.writeFile(path, bytes);
      // a file deleted behind the portal's back
      await fs.rm(blobs.resolveKey(removed.key));
      // file and registered hash replaced together (the signature still names the old one)
      const forged = Buffer.from('forged audio');
      await fs.writeFile(blobs.resolveKey(rehashed.key), forged);
      await knex('vr_conversations')
        .where({ id: rehashed.id })
        .update({ sha256: sha(forged), bytes: forged.length });

      const sweep = await integrity().sweep();
      // everything else was verified intact before
      expect(sweep).toMatchObject({
        state: 'done',
        mismatches: 2,
        missing: 1,
        signed: 0,
      });
      expect(sweep.ok).toBe(sweep.checked - 3);
      const store = new IntegrityStore(knex);
      expect(await store.lastCheck(flipped.id)).toMatchObject({
        outcome: 'mismatch',
        sweepId: sweep.id,
      });
      expect(await store.lastCheck(removed.id)).toMatchObject({
        outcome: 'missing',
      });
      expect(await store.lastCheck(rehashed.id)).toMatchObject({
        outcome: 'bad-signature',
      });
      expect(await store.lastCheck(intact.id)).toMatchObject({ outcome: 'ok' });
      // the forged archive was not signed again
      expect(await signatures.listStored(rehashed.id)).toHaveLength(1);

      for (const [id, outcome] of [
        [flipped.id, 'mismatch'],
        [removed.id, 'missing'],
        [rehashed.id, 'bad-signature'],
      ]) {
        const [entry] = await audits('integrity-mismatch', id);
        expect(entry).toMatchObject({
          actorRef: 'plugin:voice-recording',
          targetId: id,
        });
        expect(entry.details).toMatchObject({
          result: outcome,
          sweepId: sweep.id,
          number: BOB,
        });
      }
      expect(await audits('integrity-mismatch', intact.id)).toEqual([]);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        recipients: { type: 'entity', entityRef: ADMINS },
        payload: {
          title: 'Integrity alarm: 3 recordings failed verification',
          link: '/voice-recording/compliance/integrity',
          severity: 'critical',
        },
      });
      expect(
        (await auditLog.list({ action: 'integrity-notification' })).items[0]
          .details,
      ).toMatchObject({ findings: 3, sweepId: sweep.id });
      const [sweepAudit] = (
        await auditLog.list({
          action: 'integrity-sweep',
          target: `integrity-sweep:${sweep.id}`,
        })
      ).items;
      expect(sweepAudit.details).toMatchObject({
        checked: sweep.checked,
        mismatches: 2,
        missing: 1,
      });

      const status = await integrity().status();
      expect(status).toMatchObject({
        keyId: signer.keyId,
        algorithm: 'Ed25519',
        lastSweep: { id: sweep.id, checked: sweep.checked },
      });
      expect(status.problems.map(p => p.conversationId).sort()).toEqual(
        [flipped.id, removed.id, rehashed.id].sort(),
      );
      expect(status.archived).toBeGreaterThanOrEqual(7);
      expect(status.verified).toBe(status.archived);

      // a verification on request of the tampered call says why, and alarms too
      const v = await integrity().verifyOnRequest(
        { ref: 'user:default/alice' } as any,
        (await ctx.conversations.get(flipped.id))!,
      );
      expect(v).toMatchObject({
        ok: false,
        outcome: 'mismatch',
        expectedSha256: sha(flipped.content),
      });
      expect(v.problems[0]).toMatch(/is not the registered .* \(altered\)/);
      expect(sent).toHaveLength(2);
    });

    it("signs the archived calls that have no signature (the demo's calls at start-up), once", async () => {
      const content = Buffer.from(`OggS demo ${randomUUID()}`.repeat(30));
      const id = randomUUID();
      const put = await blobs.put(`demo/${id}.ogg`, content, {
        contentType: 'audio/ogg',
      });
      const now = new Date().toISOString();
      await new ConversationSearchStore(knex).insertFinished([
        {
          id,
          number: BOB,
          userRef: 'user:default/bob',
          direction: 'incoming',
          otherParty: CLIENT,
          startedAt: '2026-12-05T10:00:00.000Z',
          endedAt: '2026-12-05T10:00:30.000Z',
          durationMs: 30_000,
          sipCallId: `demo-${id}`,
          participants: [
            { aor: `tel:${BOB}`, number: BOB, recorded: true },
            { aor: `tel:${CLIENT}`, number: CLIENT },
          ],
          metadata: {},
          dtmf: [],
          state: 'finished',
          captureSource: 'demo',
          storageKey: put.key,
          sha256: put.sha256,
          bytes: put.size,
          format: 'audio/ogg; codecs=opus',
          createdAt: now,
          updatedAt: now,
        },
      ]);
      expect(await new IntegrityStore(knex).unsigned(1000)).toEqual([id]);
      expect(await integrity().signUnsigned()).toBe(1);
      const [s] = await signatures.listStored(id);
      expect(JSON.parse(s.payload)).toMatchObject({
        conversationId: id,
        sha256: sha(content),
        participants: [BOB, CLIENT],
      });
      expect(await integrity().signUnsigned()).toBe(0);
      expect(await signatures.listStored(id)).toHaveLength(1);
    });

    it('re-hashes the given share per run, the oldest-verified first', async () => {
      const store = new IntegrityStore(knex);
      const total = await store.countArchived();
      const first = await integrity(0.5).sweep();
      expect(first.checked).toBe(Math.ceil(total * 0.5));
      const checkedFirst = await knex('vr_integrity_checks')
        .where({ sweep_id: first.id })
        .pluck('conversation_id');
      const second = await integrity(0.5).sweep();
      const checkedSecond = await knex('vr_integrity_checks')
        .where({ sweep_id: second.id })
        .pluck('conversation_id');
      expect(checkedSecond).toHaveLength(Math.ceil(total * 0.5));
      // the second run takes every one the first did not (verified longest ago)
      const all = await store.oldestVerified(total);
      const notFirst = all
        .map(a => a.id)
        .filter(id => !checkedFirst.includes(id));
      expect(notFirst.length).toBe(total - checkedFirst.length);
      expect(checkedSecond).toEqual(expect.arrayContaining(notFirst));
    });
  },
);
