/*
 * A portal with a permission policy of its own, delegating to the suite's decisions
 * (the wiring of docs/permissions.md, `__testUtils__/HostPortalPolicy`): portal admins
 * (group:default/platform: erin) may do everything; everybody else may not delete
 * catalog entities nor see API entities, and may do the rest. Run in a real test
 * backend (the real permission, catalog and voice-recording backends and catalog
 * module) on SQLite and PostgreSQL: the portal's rules still hold, the suite's rules
 * hold (the portal allowing "the rest" opens up no voice-recording data), and
 * recorded numbers stay hidden in the catalog (also checked endpoint by endpoint
 * under this policy by catalogRecordedNumbersPrivacy.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { TestDatabases } from '@backstage/backend-test-utils';
import { voiceRecordingCaseLabelPermission } from '@mvr/plugin-voice-recording-common';
import { permissionModuleHostPortalPolicy } from './__testUtils__/HostPortalPolicy';
import {
  ALICE,
  BOB,
  CAROL,
  ERIN,
  NUMBERS,
  RecordedNumbersBackend,
  startRecordedNumbersBackend,
} from './__testUtils__/recordedNumbersBackend';

jest.setTimeout(240_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const SYSTEM = 'system:default/mobile-voice-recording';
const API = 'api:default/voice-recording-api';
const BOBS_NUMBER = NUMBERS.find(n => n.userRef === BOB)!.number;
const CAROLS_NUMBER = NUMBERS.find(n => n.userRef === CAROL)!.number;

describe.each(databases.eachSupportedId())(
  "a portal's own policy delegating to the suite, on %s",
  databaseId => {
    let backend: RecordedNumbersBackend;
    /** Conversation ids by owner. */
    const conversations = new Map<string, string>();

    const entity = async (ref: string) => {
      // alice reads every recorded number; erin every entity of the portal
      for (const as of [ALICE, ERIN]) {
        const res = await backend.catalog(as, '/entities/by-refs', {
          entityRefs: [ref],
        });
        if (res.json?.items?.[0]) return res.json.items[0];
      }
      throw new Error(`${ref} is not in the catalog`);
    };
    const deleteEntity = async (as: string, ref: string) => {
      const uid = (await entity(ref)).metadata.uid;
      return backend.call(as, 'DELETE', `/api/catalog/entities/by-uid/${uid}`);
    };
    const stillThere = async (ref: string) =>
      (
        await backend.catalog(ALICE, '/entities/by-refs', {
          entityRefs: [ref],
        })
      ).json.items[0] !== null ||
      (
        await backend.catalog(ERIN, '/entities/by-refs', {
          entityRefs: [ref],
        })
      ).json.items[0] !== null;

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      backend = await startRecordedNumbersBackend({
        knex,
        policy: permissionModuleHostPortalPolicy,
      });
      // one call on bob's number and one on carol's, recorded as a recorder does
      for (const number of [BOBS_NUMBER, CAROLS_NUMBER]) {
        const owner = NUMBERS.find(n => n.number === number)!.userRef;
        const startedAt = new Date(Date.now() - 120_000);
        const id = await backend.capture.conversations.begin({
          recordedNumber: {
            id: backend.ids.get(number)!,
            number,
            userRef: owner,
          },
          direction: 'outgoing',
          otherParty: '+32475111222',
          startedAt,
          sipCallId: `composed-policy-${randomUUID()}`,
          participants: [],
        });
        const stored = await backend.capture.storage!.put(
          `recordings/test/${id}.wav`,
          Buffer.from('RIFF'),
          { contentType: 'audio/wav' },
        );
        await backend.capture.conversations.finish(id, {
          endedAt: new Date(startedAt.getTime() + 60_000),
          endedBy: 'bye',
          storageKey: stored.key,
          sha256: stored.sha256,
          bytes: stored.size,
          format: 'audio/wav',
          durationMs: 60_000,
        });
        conversations.set(owner, id);
      }
    });

    afterAll(async () => {
      await backend?.stop();
    });

    it("keeps the portal's rules: no deletion for non-admins, APIs hidden from them, the rest allowed", async () => {
      // carol reads the System, not the API (the portal's condition, in the catalog's SQL)
      const system = await backend.catalog(
        CAROL,
        '/entities/by-name/system/default/mobile-voice-recording',
      );
      expect(system.status).toBe(200);
      expect(
        (
          await backend.catalog(
            CAROL,
            '/entities/by-name/api/default/voice-recording-api',
          )
        ).status,
      ).toBe(404);
      const kinds = await backend.catalog(CAROL, '/entity-facets?facet=kind');
      expect(kinds.json.facets.kind.map((f: any) => f.value)).not.toContain(
        'API',
      );
      expect(kinds.json.facets.kind.map((f: any) => f.value)).toContain(
        'System',
      );
      // other permissions of the catalog: allowed by the portal
      expect((await backend.catalog(CAROL, '/locations')).status).toBe(200);

      // no deletion for carol (not even of her own number, which the suite would allow)
      // nor for alice (the suite's admin, not the portal's)
      for (const [as, ref] of [
        [CAROL, SYSTEM],
        [CAROL, backend.refOf(CAROLS_NUMBER)],
        [ALICE, SYSTEM],
        [ALICE, backend.refOf(BOBS_NUMBER)],
      ]) {
        const res = await deleteEntity(as, ref);
        expect({ as, ref, status: res.status }).toEqual({
          as,
          ref,
          status: 403,
        });
        expect(await stillThere(ref)).toBe(true);
      }

      // erin, the portal's admin, reads the API and deletes it
      expect(
        (
          await backend.catalog(
            ERIN,
            '/entities/by-name/api/default/voice-recording-api',
          )
        ).status,
      ).toBe(200);
      expect((await deleteEntity(ERIN, API)).status).toBe(204);
      expect(await stillThere(API)).toBe(false);
    });

    it("keeps the suite's rules for voice-recording data, whatever the portal allows", async () => {
      const vr = (as: string, url: string) =>
        backend.call(as, 'GET', `/api/voice-recording${url}`);
      const bobsNumberId = backend.ids.get(BOBS_NUMBER)!;

      // carol: her number and her call only
      const carolsNumbers = await vr(CAROL, '/numbers?limit=500');
      expect(carolsNumbers.status).toBe(200);
      expect(carolsNumbers.json.items.map((n: any) => n.number)).toEqual([
        CAROLS_NUMBER,
      ]);
      expect(carolsNumbers.json.total).toBe(1);
      expect((await vr(CAROL, `/numbers/${bobsNumberId}`)).status).toBe(404);
      const carolsCalls = await vr(CAROL, '/conversations?limit=500');
      expect(carolsCalls.status).toBe(200);
      expect(carolsCalls.json.items.map((c: any) => c.id)).toEqual([
        conversations.get(CAROL),
      ]);
      expect(
        (await vr(CAROL, `/conversations/${conversations.get(BOB)}`)).status,
      ).toBe(404);
      expect(
        (
          await backend.call(CAROL, 'POST', '/api/voice-recording/numbers', {
            number: '+32479999999',
            userRef: CAROL,
          })
        ).status,
      ).toBe(403);
      expect((await vr(CAROL, '/audit')).status).toBe(403);

      // erin administers the portal, not voice recording: no number, call or audit of anyone
      expect((await vr(ERIN, '/numbers?limit=500')).json).toEqual({
        items: [],
        total: 0,
      });
      expect((await vr(ERIN, '/conversations?limit=500')).json.items).toEqual(
        [],
      );
      expect(
        (await vr(ERIN, `/conversations/${conversations.get(BOB)}`)).status,
      ).toBe(404);
      expect((await vr(ERIN, '/audit')).status).toBe(403);

      // alice, the suite's admin: every number and call, and the audit trail
      const all = await vr(ALICE, '/numbers?limit=500');
      expect(all.json.items.map((n: any) => n.number).sort()).toEqual(
        NUMBERS.map(n => n.number).sort(),
      );
      const allCalls = await vr(ALICE, '/conversations?limit=500');
      expect(allCalls.json.items.map((c: any) => c.id).sort()).toEqual(
        [conversations.get(BOB), conversations.get(CAROL)].sort(),
      );
      expect(
        (await vr(ALICE, `/conversations/${conversations.get(BOB)}`)).status,
      ).toBe(200);
      expect((await vr(ALICE, '/audit')).status).toBe(200);
    });

    it('hides recorded numbers in the catalog from everybody but their owner and the admins, portal admins included', async () => {
      const refs = NUMBERS.map(n => backend.refOf(n.number));
      const seen = async (as: string) =>
        (
          await backend.catalog(as, '/entities/by-refs', { entityRefs: refs })
        ).json.items.map((e: any) => e?.metadata.title ?? null);
      expect(await seen(CAROL)).toEqual(
        NUMBERS.map(n => (n.userRef === CAROL ? n.number : null)),
      );
      expect(await seen(BOB)).toEqual(
        NUMBERS.map(n => (n.userRef === BOB ? n.number : null)),
      );
      expect(await seen(ERIN)).toEqual(NUMBERS.map(() => null));
      expect(await seen(ALICE)).toEqual(NUMBERS.map(n => n.number));
      const erinsKinds = await backend.catalog(
        ERIN,
        '/entity-facets?facet=kind',
      );
      expect(
        erinsKinds.json.facets.kind.map((f: any) => f.value),
      ).not.toContain('RecordedNumber');

      // the portal's admin may delete entities, but not a number she cannot see:
      // refused like an entity that does not exist, and the number stays
      const bobs = backend.refOf(BOBS_NUMBER);
      const refused = await deleteEntity(ERIN, bobs);
      const missing = await backend.call(
        ERIN,
        'DELETE',
        `/api/catalog/entities/by-uid/${randomUUID()}`,
      );
      expect(refused.status).toBe(403);
      expect(missing.status).toBe(refused.status);
      expect(await stillThere(bobs)).toBe(true);
    });

    it("gives a case's calls through an approved access request, in the real permission framework, until it is revoked", async () => {
      const vr = (
        as: string,
        method: 'GET' | 'POST' | 'PUT' | 'DELETE',
        url: string,
        body?: object,
      ) => backend.call(as, method, `/api/voice-recording${url}`, body);
      const bobsCall = conversations.get(BOB)!;
      const created = await vr(ALICE, 'POST', '/cases', {
        title: 'Client Z',
        label: { title: 'Client Z', colour: '#388e3c' },
      });
      expect(created.status).toBe(201);
      const caseId = created.json.id;
      const labelPath = `/conversations/${bobsCall}/labels/${created.json.label.id}`;
      expect((await vr(ALICE, 'PUT', labelPath)).status).toBe(200);
      // the portal allowing "the rest" gives erin nothing of the suite's: no case rights
      expect((await vr(ERIN, 'POST', '/cases', { title: 'x' })).status).toBe(
        403,
      );

      const carolsCalls = async () =>
        (await vr(CAROL, 'GET', '/conversations?limit=500')).json.items
          .map((c: any) => c.id)
          .sort();
      expect(await carolsCalls()).toEqual([conversations.get(CAROL)]);
      const request = await vr(CAROL, 'POST', '/access-requests', {
        caseId,
        reason: 'complaint of client Z',
        rights: ['playback'],
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
      expect(request.status).toBe(201);
      const approved = await vr(
        ALICE,
        'POST',
        `/access-requests/${request.json.id}/approve`,
        { comment: 'ok' },
      );
      expect(approved.json.state).toBe('approved');

      // list, details and playback of bob's call; not its label, not its download
      expect(await carolsCalls()).toEqual(
        [bobsCall, conversations.get(CAROL)].sort(),
      );
      const details = await vr(CAROL, 'GET', `/conversations/${bobsCall}`);
      expect(details.status).toBe(200);
      expect(details.json.labels.map((l: any) => l.title)).toEqual([
        'Client Z',
      ]);
      expect(details.json.audio.playable).toBe(true);
      const play = () =>
        vr(CAROL, 'POST', `/conversations/${bobsCall}/playback`, {
          format: 'wav',
        });
      expect((await play()).status).toBe(204);
      expect((await vr(CAROL, 'DELETE', labelPath)).status).toBe(403);
      expect(
        (await vr(CAROL, 'GET', `/conversations/${bobsCall}/download`)).status,
      ).toBe(403);

      // the portal's call page asks the permission backend, case by case, whether to
      // offer "Add to case" / "Remove from case" (case.label on the case): decided by
      // the suite's rules on the case as loaded by the voice-recording backend
      const mayLabel = async (as: string) => {
        const res = await backend.call(
          as,
          'POST',
          '/api/permission/authorize',
          {
            items: [
              {
                id: randomUUID(),
                permission: voiceRecordingCaseLabelPermission,
                resourceRef: caseId,
              },
            ],
          },
        );
        expect(res.status).toBe(200);
        return res.json.items[0].result;
      };
      expect(await mayLabel(ALICE)).toBe('ALLOW');
      expect(await mayLabel(CAROL)).toBe('DENY');
      const labelRequest = await vr(CAROL, 'POST', '/access-requests', {
        caseId,
        reason: 'to sort the calls of client Z',
        rights: ['label'],
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
      expect(
        (
          await vr(
            ALICE,
            'POST',
            `/access-requests/${labelRequest.json.id}/approve`,
            {
              comment: 'ok',
            },
          )
        ).json.state,
      ).toBe('approved');
      expect(await mayLabel(CAROL)).toBe('ALLOW');
      expect(await mayLabel(ERIN)).toBe('DENY');

      // revoked: gone at once
      const revoked = await vr(
        ALICE,
        'POST',
        `/access-requests/${request.json.id}/revoke`,
      );
      expect(revoked.json.state).toBe('revoked');
      expect(await carolsCalls()).toEqual([conversations.get(CAROL)]);
      expect((await play()).status).toBe(404);
      expect(
        (await vr(CAROL, 'GET', `/conversations/${bobsCall}`)).status,
      ).toBe(404);
    });
  },
);
