import { PermissionsService } from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import {
  RESOURCE_TYPE_VOICE_RECORDING_NUMBER,
  voiceRecordingNumberSelfManagePermission,
} from '@mvr/plugin-voice-recording-common';
import { NumberRecord, NumbersStore } from '../database';
import { NumberQuery } from '../permissions';
import { Actor, AuditRecorder } from './AuditRecorder';
import { channelOf } from './ServicePrincipalPermissions';

type NumberPermission = ResourcePermission<
  typeof RESOURCE_TYPE_VOICE_RECORDING_NUMBER
>;

/**
 * All permission checks of the plugin. Conditional decisions on numbers become
 * SQL filters (PermissionCriteria<NumberQuery> -> knex WHERE); denials are audited.
 */
export class AccessControl {
  constructor(
    private readonly permissions: PermissionsService,
    private readonly transform: ConditionTransformer<NumberQuery>,
    private readonly numbers: NumbersStore,
    private readonly audit: AuditRecorder,
  ) {}

  private async deny(
    actor: Actor,
    permission: string,
    targetId?: string,
    refusal?: { reason: string; message: string },
  ): Promise<never> {
    const error = new NotAllowedError(
      refusal?.message ?? `${actor.ref} is not allowed: ${permission}`,
    );
    await this.audit.record({
      actor,
      action: 'permission-denied',
      targetType: targetId ? 'number' : undefined,
      targetId,
      details: {
        permission,
        channel: channelOf(actor.credentials),
        ...(refusal ? { reason: refusal.reason } : {}),
      },
      severity: 'medium',
    });
    throw error;
  }

  /** Basic permissions (no resource). */
  async require(
    actor: Actor,
    permission: BasicPermission | NumberPermission,
  ): Promise<void> {
    const [decision] = await this.permissions.authorize(
      [{ permission } as any],
      {
        credentials: actor.credentials,
      },
    );
    if (decision.result !== AuthorizeResult.ALLOW)
      await this.deny(actor, permission.name);
  }

  /**
   * For lists: `undefined` filter means everything, otherwise the SQL criteria.
   * Throws NotAllowedError on DENY.
   */
  async numberFilter(
    actor: Actor,
    permission: NumberPermission,
  ): Promise<{ filter?: PermissionCriteria<NumberQuery> }> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      {
        credentials: actor.credentials,
      },
    );
    if (decision.result === AuthorizeResult.DENY)
      return this.deny(actor, permission.name);
    if (decision.result === AuthorizeResult.ALLOW) return {};
    return { filter: this.transform((decision as any).conditions) };
  }

  /**
   * Checks a number permission on one number (the conditions are evaluated in SQL).
   * 404 when the number does not exist, 403 when the decision excludes it.
   */
  async requireOnNumber(
    actor: Actor,
    permission: NumberPermission,
    id: string,
  ): Promise<NumberRecord> {
    const [decision] = await this.permissions.authorizeConditional(
      [{ permission }],
      {
        credentials: actor.credentials,
      },
    );
    if (decision.result === AuthorizeResult.DENY)
      return this.deny(actor, permission.name, id);
    const filter =
      decision.result === AuthorizeResult.CONDITIONAL
        ? this.transform((decision as any).conditions)
        : undefined;
    const visible = await this.numbers.get(id, filter);
    if (visible) return visible;
    const exists = filter ? await this.numbers.get(id) : undefined;
    if (!exists) throw new NotFoundError(`recorded number ${id} not found`);
    // the network stands for the phone's #135#: say which rule refused it
    if (
      channelOf(actor.credentials) === 'network' &&
      permission.name === voiceRecordingNumberSelfManagePermission.name &&
      !exists.settings.selfManaged
    ) {
      return this.deny(actor, permission.name, exists.number, {
        reason: 'not self-managed',
        message: `${exists.number} is not self-managed: its professional mode cannot be switched by the network (the feature code #135# is refused)`,
      });
    }
    return this.deny(actor, permission.name, id);
  }
}
