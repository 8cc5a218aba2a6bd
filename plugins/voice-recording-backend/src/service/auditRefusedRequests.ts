import { HttpAuthService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import { NextFunction, Request, Response } from 'express';
import { actorRefOf, AuditRecorder } from './AuditRecorder';
import { channelOf } from './ServicePrincipalPermissions';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const REASON_MAX = 500;

const STATUS_BY_NAME: Record<string, number> = {
  InputError: 400,
  AuthenticationError: 401,
  NotAllowedError: 403,
  NotFoundError: 404,
  ConflictError: 409,
  NotModifiedError: 304,
  NotImplementedError: 501,
  ServiceUnavailableError: 503,
};

/** The status Backstage's error handler answers for an error. */
export function statusOf(error: unknown): number {
  const e = error as { statusCode?: unknown; status?: unknown; name?: unknown };
  const explicit = Number(e?.statusCode ?? e?.status);
  if (Number.isInteger(explicit) && explicit >= 400 && explicit < 600)
    return explicit;
  return STATUS_BY_NAME[String(e?.name)] ?? 500;
}

/** A short printable value from the body (a number that was asked for), or nothing. */
function bodyValue(req: Request, key: string): string | undefined {
  const v = (req.body as Record<string, unknown> | undefined)?.[key];
  return typeof v === 'string' && /^[\p{L}\p{N} +()./-]{1,40}$/u.test(v)
    ? v
    : undefined;
}

/**
 * An error middleware for the router: every refused write (a POST, PUT, PATCH or
 * DELETE answered 4xx: invalid input, not allowed, not found, conflict) is audited as
 * `request-refused` with the actor, the method and path, the status, the reason and
 * the channel; never the body (it can hold a CSV file), never a token. A refusal that
 * is audited already (a `permission-denied` entry recorded during the request) is not
 * audited twice; 401 (no principal) is Backstage's to log.
 */
export function auditRefusedRequests(options: {
  httpAuth: HttpAuthService;
  audit: AuditRecorder;
  /** The E.164 number of a number id, if it exists. */
  numberOf: (id: string) => Promise<string | undefined>;
}) {
  const { httpAuth, audit, numberOf } = options;

  const targetOf = async (
    req: Request,
  ): Promise<{ targetType?: string; targetId?: string; id?: string }> => {
    const [first, id] = req.path.split('/').filter(Boolean);
    if (first === 'numbers') {
      if (!id)
        return { targetType: 'number', targetId: bodyValue(req, 'number') };
      // number entries name the E.164 number (details.id the row's id)
      const number = await numberOf(id).catch(() => undefined);
      return { targetType: 'number', targetId: number ?? id, id };
    }
    if (first === 'network')
      return { targetType: 'number', targetId: bodyValue(req, 'number') };
    if (first === 'planning-models')
      return { targetType: 'planning-model', targetId: id };
    if (first === 'conversations' && id && id !== 'export')
      return { targetType: 'conversation', targetId: id };
    if (first === 'bulk') return { targetType: 'numbers' };
    if (first === 'archive-jobs' && id)
      return { targetType: 'archive-job', targetId: id };
    if (first === 'cases' && id) return { targetType: 'case', targetId: id };
    if (first === 'labels' && id) return { targetType: 'label', targetId: id };
    if (first === 'access-requests' && id)
      return { targetType: 'access-request', targetId: id };
    if (first === 'access-requests')
      return { targetType: 'case', targetId: bodyValue(req, 'caseId') };
    return {};
  };

  const record = async (error: Error, req: Request, status: number) => {
    let credentials;
    try {
      credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
    } catch {
      return; // no principal: nothing to attribute
    }
    const { id, ...target } = await targetOf(req);
    const details: JsonObject = {
      method: req.method,
      path: `${req.baseUrl}${req.path}`,
      status,
      channel: channelOf(credentials),
      ...(id ? { id } : {}),
    };
    const itemErrors = (error as { details?: { errors?: unknown } }).details
      ?.errors;
    if (Array.isArray(itemErrors)) details.errorCount = itemErrors.length;
    const reason =
      error.message.length > REASON_MAX
        ? `${error.message.slice(0, REASON_MAX - 1)}…`
        : error.message;
    const refusal = new Error(reason);
    refusal.name = error.name;
    await audit.record({
      actor: { credentials, ref: actorRefOf(credentials), request: req },
      action: 'request-refused',
      ...target,
      details,
      severity: 'medium',
      error: refusal,
      outcome: 'refused',
    });
  };

  return (error: Error, req: Request, _res: Response, next: NextFunction) => {
    const status = statusOf(error);
    if (
      !WRITE_METHODS.has(req.method) ||
      status < 400 ||
      status >= 500 ||
      status === 401 ||
      audit.refusalAudited(req)
    ) {
      next(error);
      return;
    }
    record(error, req, status).then(
      () => next(error),
      () => next(error),
    );
  };
}
