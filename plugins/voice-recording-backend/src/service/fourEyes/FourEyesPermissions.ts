import {
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
import { RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION } from '@mvr/plugin-voice-recording-common';
import {
  createVoiceRecordingConversationConditionalDecision,
  voiceRecordingConversationConditions,
} from '@mvr/plugin-voice-recording-node';
import { FourEyesService } from './FourEyesService';

const isConversationPermission = (p: Permission) =>
  p.type === 'resource' &&
  p.resourceType === RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION;

const userRefOf = (options: PermissionsServiceRequestOptions) => {
  const p = options.credentials.principal as {
    type?: string;
    userEntityRef?: string;
  };
  return p?.type === 'user' && p.userEntityRef ? p.userEntityRef : undefined;
};

/**
 * The four-eyes gate, in one place: the permission checks of every conversation route
 * (list, count, details, audio, waveform, playback, download, export, label changes).
 * For a user flagged four-eyes without a confirmed, running session, every decision on
 * a conversation permission (`conversation.read`, `conversation.play`) becomes
 * "no conversation": a CONDITIONAL `IS_CONVERSATION_OWNER` of nobody (SQL `1 = 0`), so
 * lists and counts are empty and one conversation is a 404, the same answers as for a
 * conversation the user may not see. Other decisions are unchanged.
 */
export class FourEyesPermissions implements PermissionsService {
  constructor(
    private readonly permissions: PermissionsService,
    private readonly fourEyes: FourEyesService,
  ) {}

  private async blocked(
    permissions: Permission[],
    options: PermissionsServiceRequestOptions,
  ): Promise<boolean> {
    if (!permissions.some(isConversationPermission)) return false;
    const user = userRefOf(options);
    return user ? !(await this.fourEyes.hasAccess(user)) : false;
  }

  async authorize(
    requests: AuthorizePermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<AuthorizePermissionResponse[]> {
    const [decisions, blocked] = await Promise.all([
      this.permissions.authorize(requests, options),
      this.blocked(
        requests.map(r => r.permission),
        options,
      ),
    ]);
    if (!blocked) return decisions;
    return decisions.map((d, i) =>
      isConversationPermission(requests[i].permission)
        ? { result: AuthorizeResult.DENY }
        : d,
    );
  }

  async authorizeConditional(
    queries: QueryPermissionRequest[],
    options: PermissionsServiceRequestOptions,
  ): Promise<QueryPermissionResponse[]> {
    const [decisions, blocked] = await Promise.all([
      this.permissions.authorizeConditional(queries, options),
      this.blocked(
        queries.map(q => q.permission),
        options,
      ),
    ]);
    if (!blocked) return decisions;
    return decisions.map((d, i) => {
      const { permission } = queries[i];
      if (
        !isConversationPermission(permission) ||
        d.result === AuthorizeResult.DENY
      )
        return d;
      return createVoiceRecordingConversationConditionalDecision(
        permission as ResourcePermission<
          typeof RESOURCE_TYPE_VOICE_RECORDING_CONVERSATION
        >,
        voiceRecordingConversationConditions.isConversationOwner({
          userRefs: [],
        }),
      );
    });
  }
}
