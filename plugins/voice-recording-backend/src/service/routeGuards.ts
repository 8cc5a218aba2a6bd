import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import { Request } from 'express';
import { Actor, actorRefOf, AuditRecorder } from './AuditRecorder';

/** What a refused request was about, in its `permission-denied` audit entry. */
export type DeniedTarget = { type: string; id?: string } | undefined;

/**
 * The checks a group of routes shares: the caller (a user's or a service's credentials),
 * basic permission decisions, conditional ones as SQL criteria, and refusals (audited
 * `permission-denied`, severity medium, then 403).
 */
export function routeGuards(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  audit: Pick<AuditRecorder, 'record'>;
  /** Who may call (default: users and services). */
  allow?: Array<'user' | 'service'>;
}) {
  const { httpAuth, permissions, audit, allow = ['user', 'service'] } = options;

  const actorOf = async (req: Request): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, { allow });
    return { credentials, ref: actorRefOf(credentials), request: req };
  };

  const deny = async (
    actor: Actor,
    permission: string,
    target?: DeniedTarget,
  ): Promise<never> => {
    await audit.record({
      actor,
      action: 'permission-denied',
      ...(target ? { targetType: target.type, targetId: target.id } : {}),
      details: { permission },
      severity: 'medium',
    });
    throw new NotAllowedError(`${actor.ref} is not allowed: ${permission}`);
  };

  const allowed = async (actor: Actor, permission: BasicPermission) => {
    const [d] = await permissions.authorize([{ permission }], {
      credentials: actor.credentials,
    });
    return d.result === AuthorizeResult.ALLOW;
  };

  /** A basic permission, else refused. */
  const require = async (
    actor: Actor,
    permission: BasicPermission,
    target?: DeniedTarget,
  ): Promise<void> => {
    if (!(await allowed(actor, permission)))
      await deny(actor, permission.name, target);
  };

  /**
   * A resource permission's decision: refused on DENY, `undefined` (everything) on
   * ALLOW, else its conditions as criteria (`transform`).
   */
  const criteria = async <TQuery>(
    actor: Actor,
    permission: ResourcePermission,
    transform: ConditionTransformer<TQuery>,
    target?: DeniedTarget,
  ): Promise<PermissionCriteria<TQuery> | undefined> => {
    const [d] = await permissions.authorizeConditional([{ permission }], {
      credentials: actor.credentials,
    });
    if (d.result === AuthorizeResult.DENY)
      return deny(actor, permission.name, target);
    if (d.result === AuthorizeResult.ALLOW) return undefined;
    return transform((d as any).conditions);
  };

  return { actorOf, deny, allowed, require, criteria };
}
