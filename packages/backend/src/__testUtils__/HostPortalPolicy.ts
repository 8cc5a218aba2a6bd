/*
 * A portal's own permission policy, as an adopter has one before installing the
 * suite: portal admins (group:default/platform) may do everything; everybody else may
 * not delete catalog entities nor see API entities, and may do the rest. It delegates
 * to the suite's handler exactly as docs/permissions.md shows.
 */
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  allOfDecisions,
  createVoiceRecordingPolicyHandler,
  isCatalogEntityPermission,
  VoiceRecordingPolicyHandler,
} from '@mvr/plugin-voice-recording-node';

export const PORTAL_ADMINS = 'group:default/platform';

export class HostPortalPolicy implements PermissionPolicy {
  constructor(private readonly voiceRecording: VoiceRecordingPolicyHandler) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const suite = await this.voiceRecording.handle(request, user);
    if (!suite) {
      return this.ownRules(request, user); // not the suite's: the portal decides
    }
    if (!isCatalogEntityPermission(request.permission)) {
      return suite; // a voice-recording permission: the suite decides
    }
    // a catalog entity: the portal's rules AND "not another user's recorded number"
    return allOfDecisions(this.ownRules(request, user), suite);
  }

  private ownRules(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): PolicyDecision {
    if (user?.info.ownershipEntityRefs.includes(PORTAL_ADMINS)) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (request.permission.name === 'catalog.entity.delete') {
      return { result: AuthorizeResult.DENY };
    }
    if (request.permission.name === 'catalog.entity.read') {
      return {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          not: {
            rule: 'IS_ENTITY_KIND',
            resourceType: 'catalog-entity',
            params: { kinds: ['API'] },
          },
        },
      };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/** The portal's policy module, with the suite's decisions wired in. */
export const permissionModuleHostPortalPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'host-portal-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(
          new HostPortalPolicy(createVoiceRecordingPolicyHandler(config)),
        );
      },
    });
  },
});
