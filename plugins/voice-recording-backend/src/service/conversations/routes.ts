import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  PermissionCriteria,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  voiceRecordingAuditReadPermission,
  voiceRecordingConversationDownloadPermission,
  voiceRecordingConversationExportPermission,
  voiceRecordingConversationPlayPermission,
  voiceRecordingConversationReadPermission,
} from '@mvr/plugin-voice-recording-common';
import { ConversationQuery } from '@mvr/plugin-voice-recording-node';
import express, { Request, Response } from 'express';
import { AuditLogStore } from '../../database';
import { ConversationSearchFilters } from '../../database/ConversationSearchStore';
import {
  Actor,
  actorRefOf,
  AuditRecord,
  AuditRecorder,
} from '../AuditRecorder';
import { parseInput } from '../errors';
import { PeopleResolver } from './PeopleResolver';
import { resolveSearchFilters } from './searchFilters';
import {
  AudioFormat,
  ConversationsService,
  WAV_CONTENT_TYPE,
} from './ConversationsService';
import {
  audioQuerySchema,
  conversationExportSchema,
  conversationFiltersSchema,
  conversationSearchSchema,
  playbackStartSchema,
  waveformQuerySchema,
} from './schemas';
import { z } from 'zod';

export interface ConversationRoutesOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  transform: ConditionTransformer<ConversationQuery>;
  audit: AuditRecorder;
  auditLog: AuditLogStore;
  conversations: ConversationsService;
  defaultCountry: string;
  /** Resolves the `user` and `group` filters through the catalog. */
  people: PeopleResolver;
  /**
   * The four-eyes gate (when four-eyes access is on): whether a user may open
   * recordings now. The audio route re-reads it at every request, so that the end of a
   * session (or a new flag) applies at once although it reuses permission decisions.
   */
  fourEyes?: { hasAccess(userRef: string): Promise<boolean> };
}

type Visibility = PermissionCriteria<ConversationQuery> | undefined;

/** A single `bytes=` range of a blob of `size` bytes; 'invalid' → 416. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) {
    // several ranges, or another unit: answer the whole file (RFC 9110 allows it)
    return /^bytes=/.test(header.trim()) && header.includes(',')
      ? undefined
      : 'invalid';
  }
  const [, a, b] = m;
  if (a === '' && b === '') return 'invalid';
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'invalid';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || start > end) return 'invalid';
  return { start, end };
}

/**
 * `conversation-search`: who searched for what (the filters as given, and the phone
 * as matched), with the result count, never the results. The target is the party
 * searched for (`phone`, E.164 when the input is a whole number, else its digits) or
 * the recorded number, so that `GET /audit?target=+32475111222` answers "who looked
 * for this client's calls". The cursor is not kept (only whether it was a next page).
 */
export function searchAuditRecord(
  actor: Actor,
  q: z.infer<typeof conversationSearchSchema>,
  filters: ConversationSearchFilters,
  page: { items: unknown[]; total: number; totalIsLowerBound?: boolean },
): AuditRecord {
  const { cursor, ...given } = q;
  let phone = filters.phoneDigits;
  if (phone && filters.phoneExact) phone = `+${phone}`;
  let target: Pick<AuditRecord, 'targetType' | 'targetId'> = {};
  if (phone) target = { targetType: 'phone', targetId: phone };
  else if (filters.number)
    target = { targetType: 'number', targetId: filters.number };
  return {
    actor,
    action: 'conversation-search',
    ...target,
    details: {
      filters: JSON.parse(JSON.stringify(given)),
      ...(phone ? { phone } : {}),
      ...(filters.number ? { number: filters.number } : {}),
      // the users the `user`/`group` filters stood for (the first 100)
      ...(filters.userRefs
        ? {
            resolvedUsers: filters.userRefs.slice(0, 100),
            resolvedUserCount: filters.userRefs.length,
          }
        : {}),
      nextPage: Boolean(cursor),
      count: page.items.length,
      total: page.total,
      ...(page.totalIsLowerBound ? { totalIsLowerBound: true } : {}),
    },
    severity: 'low',
  };
}

/** How long the audio route reuses a user's `conversation.read` decision. */
export const AUDIO_DECISION_TTL_MS = 10_000;
const AUDIO_DECISIONS_MAX = 1000;

/**
 * `Server-Timing` of a request: the time of each step since the previous mark
 * (`auth;dur=1.2, permission;dur=3.4, ...`), for the browser's resource timing.
 */
export function serverTiming() {
  const steps: Array<[string, number]> = [];
  let last = performance.now();
  return {
    mark(name: string) {
      const now = performance.now();
      steps.push([name, now - last]);
      last = now;
    },
    header: () => steps.map(([n, d]) => `${n};dur=${d.toFixed(1)}`).join(', '),
  };
}

/**
 * The routes of docs/api.md "Conversations". Every route authenticates, checks
 * `voice-recording.conversation.read` (lists, counts, details) or
 * `voice-recording.conversation.play` (audio, waveform, playback, download, export):
 * conditional decisions become SQL; download/export/access-history also check their
 * own permission.
 */
export function addConversationRoutes(
  router: express.Router,
  options: ConversationRoutesOptions,
) {
  const { httpAuth, permissions, transform, audit, auditLog, conversations } =
    options;

  const actorOf = async (req: Request, cookie = false): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
      ...(cookie ? { allowLimitedAccess: true } : {}),
    });
    return { credentials, ref: actorRefOf(credentials), request: req };
  };

  const deny = async (
    actor: Actor,
    permission: string,
    targetId?: string,
  ): Promise<never> => {
    await audit.record({
      actor,
      action: 'permission-denied',
      targetType: 'conversation',
      targetId,
      details: { permission },
      severity: 'medium',
    });
    throw new NotAllowedError(`${actor.ref} is not allowed: ${permission}`);
  };

  /**
   * The SQL visibility of each permission (`read`: lists, counts, details; `play`:
   * audio, download), in one permission call (one four-eyes look-up).
   */
  const decisionsOf = async (
    actor: Actor,
    ...asked: (typeof voiceRecordingConversationReadPermission)[]
  ): Promise<(Visibility | 'deny')[]> => {
    const decisions = await permissions.authorizeConditional(
      asked.map(permission => ({ permission })),
      { credentials: actor.credentials },
    );
    return decisions.map(d => {
      if (d.result === AuthorizeResult.DENY) return 'deny';
      if (d.result === AuthorizeResult.ALLOW) return undefined;
      return transform((d as any).conditions);
    });
  };
  const visibility = async (
    actor: Actor,
    permission = voiceRecordingConversationReadPermission,
  ): Promise<Visibility> => {
    const [d] = await decisionsOf(actor, permission);
    if (d === 'deny') return deny(actor, permission.name);
    return d;
  };
  const PLAY = voiceRecordingConversationPlayPermission;

  // Whether the four-eyes gate lets the caller (a user) open recordings now; true when
  // four-eyes access is off or for a service.
  const fourEyesOpen = async (actor: Actor): Promise<boolean> => {
    const p = actor.credentials.principal as {
      type?: string;
      userEntityRef?: string;
    };
    if (!options.fourEyes || p?.type !== 'user' || !p.userEntityRef)
      return true;
    return options.fourEyes.hasAccess(p.userEntityRef);
  };

  // The audio route's read decisions, reused per user for AUDIO_DECISION_TTL_MS: a
  // playback makes its Range requests in a burst (head, tail for the duration, then
  // the position), each otherwise a round trip to the permission backend on the path
  // to the first sound. Denials and errors are not reused. What may change within the
  // reuse is read again at every request: the case rights inside the decision (in SQL:
  // a revoked or expired access request, a closed case), and the four-eyes gate (a
  // session's end, a new flag: one look-up in the database), whose state at the time of
  // the decision is kept with it; when it differs, the decision is taken again.
  const audioDecisions = new Map<
    string,
    { at: number; decision: Promise<Visibility>; gate: Promise<boolean> }
  >();
  const audioVisibility = async (actor: Actor): Promise<Visibility> => {
    const now = Date.now();
    const hit = audioDecisions.get(actor.ref);
    if (hit && now - hit.at < AUDIO_DECISION_TTL_MS) {
      const [was, is] = await Promise.all([hit.gate, fourEyesOpen(actor)]);
      if (was === is) return hit.decision;
    }
    // the gate is read before the decision: a change between the two is seen as a
    // change at the next request (which decides again), never hidden by the reuse
    const gate = fourEyesOpen(actor);
    const decision = gate.then(
      () => visibility(actor, PLAY),
      () => visibility(actor, PLAY),
    );
    audioDecisions.delete(actor.ref);
    audioDecisions.set(actor.ref, { at: now, decision, gate });
    gate.catch(() => {
      if (audioDecisions.get(actor.ref)?.gate === gate)
        audioDecisions.delete(actor.ref);
    });
    decision.catch(() => {
      if (audioDecisions.get(actor.ref)?.decision === decision)
        audioDecisions.delete(actor.ref);
    });
    // bounded: the oldest entries go first (a Map iterates in insertion order)
    for (const [key, entry] of audioDecisions) {
      if (
        audioDecisions.size <= AUDIO_DECISIONS_MAX &&
        now - entry.at < AUDIO_DECISION_TTL_MS
      )
        break;
      audioDecisions.delete(key);
    }
    return decision;
  };

  const requireBasic = async (
    actor: Actor,
    permission: BasicPermission,
    targetId?: string,
  ) => {
    const [d] = await permissions.authorize([{ permission }], {
      credentials: actor.credentials,
    });
    if (d.result !== AuthorizeResult.ALLOW)
      await deny(actor, permission.name, targetId);
  };

  const toFilters = (
    actor: Actor,
    q: z.infer<typeof conversationFiltersSchema>,
  ): Promise<ConversationSearchFilters> =>
    resolveSearchFilters(q, {
      people: options.people,
      defaultCountry: options.defaultCountry,
      credentials: actor.credentials,
    });

  router.get('/conversations', async (req, res) => {
    const actor = await actorOf(req);
    const vis = await visibility(actor);
    const q = parseInput(conversationSearchSchema, req.query, 'query');
    const filters = await toFilters(actor, q);
    const page = await conversations.search(
      {
        ...filters,
        sort: q.sort,
        order: q.order,
        limit: q.limit,
        cursor: q.cursor,
      },
      vis,
    );
    await audit.record(searchAuditRecord(actor, q, filters, page));
    res.json(page);
  });

  router.post('/conversations/export', async (req, res) => {
    const actor = await actorOf(req);
    await requireBasic(actor, voiceRecordingConversationExportPermission);
    const vis = await visibility(actor, PLAY);
    const body = parseInput(conversationExportSchema, req.body ?? {});
    const filters: ConversationSearchFilters =
      'ids' in body
        ? { ids: body.ids as string[] }
        : await toFilters(actor, body);
    const selection = await conversations.exportSelection(filters, vis);
    // ticked ids that are unknown or not visible to the caller are left out (the same
    // answer for both, as for a 404) and counted
    const notExported = filters.ids
      ? new Set(filters.ids).size - selection.length
      : 0;
    for (const c of selection) {
      await conversations.recordAccess(actor, 'conversation-export', c);
    }
    await audit.record({
      actor,
      action: 'conversation-export',
      targetType: 'export',
      details: {
        count: selection.length,
        conversationIds: selection.map(c => c.id).slice(0, 1000),
        filters: JSON.parse(JSON.stringify(body)),
        ...(filters.ids
          ? { requested: new Set(filters.ids).size, notExported }
          : {}),
        ...(filters.userRefs
          ? { resolvedUserCount: filters.userRefs.length }
          : {}),
      },
      severity: 'medium',
    });
    const stamp = new Date().toISOString().replace(/[:.]/g, '').slice(0, 15);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader(
      'Content-Disposition',
      `attachment; filename="conversations_${stamp}.zip"`,
    );
    res.setHeader('X-Voice-Recording-Count', String(selection.length));
    if (filters.ids)
      res.setHeader('X-Voice-Recording-Not-Exported', String(notExported));
    const zip = conversations.exportZip(selection, actor.ref);
    zip.on('error', () => res.destroy());
    zip.pipe(res);
  });

  router.get('/conversations/:id', async (req, res) => {
    const actor = await actorOf(req);
    const [vis, play] = await decisionsOf(
      actor,
      voiceRecordingConversationReadPermission,
      PLAY,
    );
    if (vis === 'deny')
      await deny(
        actor,
        voiceRecordingConversationReadPermission.name,
        req.params.id,
      );
    else res.json(await conversations.detail(actor, req.params.id, vis, play));
  });

  router.get(
    '/conversations/:id/audio',
    async (req: Request, res: Response) => {
      const timing = serverTiming();
      // the <audio> element sends the Backstage user cookie, not a bearer token
      const actor = await actorOf(req, true);
      timing.mark('auth');
      const vis = await audioVisibility(actor);
      timing.mark('permission');
      const { format } = parseInput(audioQuerySchema, req.query, 'query');
      let c = await conversations.visible(
        actor,
        req.params.id,
        vis,
        'conversation-audio',
        PLAY.name,
      );
      timing.mark('db');
      let chosen: AudioFormat | undefined = format;
      if (!chosen) {
        const accept = String(req.headers.accept ?? '');
        if (
          /audio\/(wav|wave|x-wav)/i.test(accept) &&
          !/audio\/ogg/i.test(accept)
        )
          chosen = 'wav';
      }
      let blob;
      try {
        blob = await conversations.audioBlob(c, chosen);
      } catch (e) {
        // the recorder replaced this interim WAV by its Opus file (background compression)
        // between reading the conversation and opening the file: once more with the new one
        const missing = ['NotFoundError', 'BlobNotFoundError'].includes(
          (e as Error)?.name,
        );
        if (!missing || !c.compressTo) throw e;
        c = await conversations.visible(
          actor,
          req.params.id,
          vis,
          'conversation-audio',
          PLAY.name,
        );
        blob = await conversations.audioBlob(c, chosen);
      }
      timing.mark('blob');
      const rangeHeader = req.headers.range;
      const range = parseRange(rangeHeader, blob.size);
      res.setHeader('Accept-Ranges', 'bytes');
      res.setHeader('Cache-Control', 'private, max-age=3600');
      res.setHeader('ETag', blob.etag);
      if (range === 'invalid') {
        res.setHeader('Content-Range', `bytes */${blob.size}`);
        res.status(416).end();
        return;
      }
      // Access to the bytes: audited when a stream opens at the beginning of the file
      // (a whole-file GET, or a `bytes=0-...` range: the player loading the call, with
      // preload="metadata" when its page opens), not for the seeks and continuations
      // that follow. A playback start is audited by POST .../playback (below).
      const audited =
        !range || range.start === 0
          ? conversations.recordAccess(
              actor,
              'conversation-audio',
              c,
              {
                format: blob.contentType === WAV_CONTENT_TYPE ? 'wav' : 'ogg',
                range: rangeHeader ? String(rangeHeader) : 'none',
              },
              'low',
            )
          : undefined;
      res.setHeader('Content-Type', blob.contentType);
      // the audit and the file open run together; no byte is sent before both are done
      const [stream] = await Promise.all([
        conversations.openBlob(blob.key, range),
        audited,
      ]);
      timing.mark('open');
      res.setHeader('Server-Timing', timing.header());
      if (range) {
        res.status(206);
        res.setHeader(
          'Content-Range',
          `bytes ${range.start}-${range.end}/${blob.size}`,
        );
        res.setHeader('Content-Length', String(range.end - range.start + 1));
      } else {
        res.status(200);
        res.setHeader('Content-Length', String(blob.size));
      }
      if (req.method === 'HEAD') {
        stream.destroy();
        res.end();
        return;
      }
      stream.on('error', e => res.destroy(e));
      stream.pipe(res);
    },
  );

  // The player's playback start (its `play` event at the beginning of a listen): the
  // one `conversation-playback` entry per start, whatever the <audio> element fetched.
  router.post('/conversations/:id/playback', async (req, res) => {
    const actor = await actorOf(req);
    const vis = await visibility(actor, PLAY);
    const { format } = parseInput(playbackStartSchema, req.body ?? {});
    const c = await conversations.visible(
      actor,
      req.params.id,
      vis,
      'conversation-playback',
      PLAY.name,
    );
    await conversations.recordPlayback(actor, c, format);
    res.status(204).end();
  });

  router.get('/conversations/:id/waveform', async (req, res) => {
    const actor = await actorOf(req);
    const vis = await visibility(actor, PLAY);
    const { points } = parseInput(waveformQuerySchema, req.query, 'query');
    const c = await conversations.visible(
      actor,
      req.params.id,
      vis,
      'conversation-waveform',
      PLAY.name,
    );
    res.json(await conversations.waveform(c, points));
  });

  router.get('/conversations/:id/download', async (req, res) => {
    const actor = await actorOf(req);
    await requireBasic(
      actor,
      voiceRecordingConversationDownloadPermission,
      req.params.id,
    );
    const vis = await visibility(actor, PLAY);
    const c = await conversations.visible(
      actor,
      req.params.id,
      vis,
      'conversation-download',
      PLAY.name,
    );
    const ready = await conversations.mp3OrPreparing(c);
    if ('preparing' in ready) {
      // a long call: its MP3 is built by a derive job; the client asks again (the
      // download itself is audited when the file is given)
      const { retryAfterSeconds } = ready.preparing;
      res.setHeader('Retry-After', String(retryAfterSeconds));
      res.status(202).json({
        status: 'preparing',
        retryAfterSeconds,
        message: `The MP3 of conversation ${c.id} is being prepared; ask again in ${retryAfterSeconds} s`,
      });
      return;
    }
    const { blob, filename } = ready;
    await conversations.recordAccess(actor, 'conversation-download', c, {
      format: 'mp3',
    });
    res.setHeader('Content-Type', 'audio/mpeg');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.setHeader('Content-Length', String(blob.size));
    (await conversations.openBlob(blob.key)).pipe(res);
  });

  router.get('/conversations/:id/access-history', async (req, res) => {
    const actor = await actorOf(req);
    await requireBasic(actor, voiceRecordingAuditReadPermission, req.params.id);
    const { items } = await auditLog.list({
      target: `conversation:${req.params.id}`,
      limit: 500,
    });
    res.json({ items });
  });
}
