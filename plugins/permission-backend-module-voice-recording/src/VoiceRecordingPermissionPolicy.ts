import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { VoiceRecordingPolicyHandler } from '@mvr/plugin-voice-recording-node';

/** What the ready-made policy answers for the permissions of other plugins. */
export type OtherPermissionsChoice = 'deny' | 'allow';

/** Config key of {@link OtherPermissionsChoice}. */
export const OTHER_PERMISSIONS_CONFIG_KEY =
  'voiceRecording.permissionPolicy.otherPermissions';

/** Used when {@link OTHER_PERMISSIONS_CONFIG_KEY} is not set: nothing is opened up silently. */
export const DEFAULT_OTHER_PERMISSIONS: OtherPermissionsChoice = 'deny';

const OTHER_PERMISSIONS_CHOICES: OtherPermissionsChoice[] = ['deny', 'allow'];

export interface VoiceRecordingPermissionPolicyOptions {
  /** Entity refs (groups, or users) whose members administer voice recording. */
  adminGroups?: string[];
  /**
   * The answer to every permission of other plugins (catalog, scaffolder,
   * notifications, ...); default {@link DEFAULT_OTHER_PERMISSIONS}.
   */
  otherPermissions?: OtherPermissionsChoice;
}

/** Reads {@link OTHER_PERMISSIONS_CONFIG_KEY}; a clear error names the key and the value. */
export function readOtherPermissionsChoice(config: Config): {
  choice: OtherPermissionsChoice;
  configured: boolean;
} {
  let value: string | undefined;
  try {
    value = config.getOptionalString(OTHER_PERMISSIONS_CONFIG_KEY);
  } catch (error) {
    throw new Error(
      `Invalid ${OTHER_PERMISSIONS_CONFIG_KEY}: it must be one of ${OTHER_PERMISSIONS_CHOICES.map(
        c => `'${c}'`,
      ).join(', ')} (${(error as Error).message})`,
    );
  }
  if (value === undefined) {
    return { choice: DEFAULT_OTHER_PERMISSIONS, configured: false };
  }
  if (!(OTHER_PERMISSIONS_CHOICES as string[]).includes(value)) {
    throw new Error(
      `Invalid ${OTHER_PERMISSIONS_CONFIG_KEY} ${JSON.stringify(
        value,
      )}: it must be one of ${OTHER_PERMISSIONS_CHOICES.map(c => `'${c}'`).join(
        ', ',
      )}`,
    );
  }
  return { choice: value as OtherPermissionsChoice, configured: true };
}

/**
 * The ready-made permission policy, for a portal that has no policy of its own.
 *
 * - Voice-recording permissions and the suite's restriction on catalog entities
 *   (recorded-number entities only for their owner and the admins): the suite's
 *   decisions ({@link VoiceRecordingPolicyHandler} of
 *   `@mvr/plugin-voice-recording-node`).
 * - Every permission of other plugins: `voiceRecording.permissionPolicy.otherPermissions`,
 *   `deny` by default (a portal must choose to open them up), or `allow` (to
 *   everybody signed in). Catalog entity permissions get that answer AND the suite's
 *   restriction.
 *
 * A portal with a policy of its own does not install this module: its policy calls
 * the handler instead (see docs/permissions.md).
 *
 * Service-to-service calls never reach a policy: Backstage allows them (restricted
 * by `accessRestrictions` of external access).
 */
export class VoiceRecordingPermissionPolicy implements PermissionPolicy {
  /** The suite's decisions this policy delegates to. */
  readonly handler: VoiceRecordingPolicyHandler;
  /** The answer to every permission of other plugins. */
  readonly otherPermissions: OtherPermissionsChoice;

  static fromConfig(config: Config): VoiceRecordingPermissionPolicy {
    return new VoiceRecordingPermissionPolicy({
      adminGroups: config.getOptionalStringArray('voiceRecording.adminGroups'),
      otherPermissions: readOtherPermissionsChoice(config).choice,
    });
  }

  constructor(options: VoiceRecordingPermissionPolicyOptions = {}) {
    this.handler = new VoiceRecordingPolicyHandler({
      adminGroups: options.adminGroups,
    });
    this.otherPermissions =
      options.otherPermissions ?? DEFAULT_OTHER_PERMISSIONS;
    if (!OTHER_PERMISSIONS_CHOICES.includes(this.otherPermissions)) {
      throw new Error(
        `Invalid otherPermissions ${JSON.stringify(
          this.otherPermissions,
        )}: it must be one of 'deny', 'allow'`,
      );
    }
  }

  /** The normalised admin entity refs, e.g. `group:default/compliance`. */
  get adminEntityRefs(): string[] {
    return this.handler.adminEntityRefs;
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const other: PolicyDecision = {
      result:
        this.otherPermissions === 'allow'
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    };
    return this.handler.decide(request, user, () => other);
  }
}
