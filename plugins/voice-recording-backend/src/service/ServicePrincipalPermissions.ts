import {
  BackstageCredentials,
  PermissionsService,
  PermissionsServiceRequestOptions,
} from '@backstage/backend-plugin-api';
import {
  AuthorizePermissionRequest,
  AuthorizePermissionResponse,
  AuthorizeResult,
  Permission,
  QueryPermissionRequest,
  QueryPermissionResponse,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  voiceRecordingHealthReadPermission,
  voiceRecordingNumberReadPermission,
  voiceRecordingNumberSelfManagePermission,
  voiceRecordingPlanningModelReadPermission,
  voiceRecordingPolicyQueryPermission,
} from '@mvr/plugin-voice-recording-common';
import {
  createVoiceRecordingNumberConditionalDecision,
  voiceRecordingNumberConditions,
} from '../permissions';

/**
 * Where a request comes from:
 * - `portal`: a signed-in user (the frontend, or a user token);
 * - `network`: an external caller (`backend.auth.externalAccess`, subject
 *   `external:<subject>`): the mobile network, reporting `#135#` and asking whether a
 *   call is recorded;
 * - `backend`: another backend plugin (subject `plugin:<pluginId>`), e.g. the catalog
 *   module reading the numbers and their recording alarms;
 * - `unknown`: any other principal (no rights).
 */
export type Channel = 'portal' | 'network' | 'backend' | 'unknown';

export function channelOf(credentials: BackstageCredentials): Channel {
  const p = credentials.principal as { type?: string; subject?: string };
  if (p?.type === 'user') return 'portal';
  if (p?.type !== 'service') return 'unknown';
  const subject = String(p.subject ?? '');
  if (subject.startsWith('external:')) return 'network';
  if (subject.startsWith('plugin:')) return 'backend';
  return 'unknown';
}

/**
 * What a service principal may do: the rights of the channel it stands for, nothing
 * more. `self-managed`: only on numbers whose user may switch professional mode
 * themselves (the network relays the user's `#135#`, so self-management rules apply;
 * a conditional decision `IS_SELF_MANAGED`, applied in SQL like a user's).
 * Every permission not listed is denied.
 */
export const SERVICE_CHANNEL_RIGHTS: Record<
  'network' | 'backend',
  Record<string, 'allow' | 'self-managed'>
> = {
  network: {
    [voiceRecordingNumberSelfManagePermission.name]: 'self-managed',
    [voiceRecordingPolicyQueryPermission.name]: 'allow',
  },
  backend: {
    [voiceRecordingNumberReadPermission.name]: 'allow',
    // the catalog module shows each number's recording health (its open alarms)
    [voiceRecordingHealthReadPermission.name]: 'allow',
    [voiceRecordingPlanningModelReadPermission.name]: 'allow',
    [voiceRecordingPolicyQueryPermission.name]: 'allow',
  },
};

function rightOf(
  credentials: BackstageCredentials,
  permission: Permission,
): 'allow' | 'self-managed' | undefined {
  const channel = channelOf(credentials);
  if (channel !== 'network' && channel !== 'backend') return undefined;
  return SERVICE_CHANNEL_RIGHTS[channel][permission.name];
}

const isService = (credentials: BackstageCredentials) =>
  (credentials.principal as { type?: string })?.type === 'service';

/**
 * The plugin's permission checks. Backstage answers ALLOW to every service principal
 * (service-to-service calls bypass the permission policy, only the external access
 * restrictions apply), so this decides explicitly what a service principal may do
 * (SERVICE_CHANNEL_RIGHTS), on top of Backstage's decision (both must allow). User
 * decisions are Backstage's (the permission policy), unchanged.
 */
export class ServicePrincipalPermissions implements PermissionsService {
  constructor(private readonly permissions: PermissionsService) {}

  async authorize(
    requests: AuthorizePermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<AuthorizePermissionResponse[]> {
    const decisions = await this.permissions.authorize(requests, options);
    const { credentials } = options;
    if (!isService(credentials)) return decisions;
    return decisions.map((d, i) => {
      if (d.result !== AuthorizeResult.ALLOW) return d;
      // a definitive answer: a right on some numbers only is not a right on all
      return rightOf(credentials, requests[i].permission) === 'allow'
        ? d
        : { result: AuthorizeResult.DENY };
    });
  }

  async authorizeConditional(
    queries: QueryPermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<QueryPermissionResponse[]> {
    const decisions = await this.permissions.authorizeConditional(
      queries,
      options,
    );
    const { credentials } = options;
    if (!isService(credentials)) return decisions;
    return decisions.map((d, i) => {
      if (d.result === AuthorizeResult.DENY) return d;
      const { permission } = queries[i];
      const right = rightOf(credentials, permission);
      if (right === 'allow') return d;
      if (right === 'self-managed' && d.result === AuthorizeResult.ALLOW) {
        return createVoiceRecordingNumberConditionalDecision(
          permission as ResourcePermission<'voice-recording-number'>,
          voiceRecordingNumberConditions.isSelfManaged(),
        );
      }
      return { result: AuthorizeResult.DENY };
    });
  }
}
