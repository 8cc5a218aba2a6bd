import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { voiceRecordingApiRef } from '../../../api/VoiceRecordingApi';
import { rootRouteRef } from '../../../routes';
import { catalogApis, catalogRoutes } from '../../../testUtils/catalog';
import { EntityVoiceRecordingContent } from '../EntityVoiceRecordingContent';

/** A recorded number's catalog entity, with the catalog module's health annotation. */
export function numberEntity(recordingHealth?: string): Entity {
  return {
    apiVersion: 'voice-recording.mvr/v1alpha1',
    kind: 'RecordedNumber',
    metadata: {
      name: 'mobile-n1',
      annotations: {
        'voice-recording.mvr/number-id': 'n1',
        'voice-recording.mvr/number': '+32470123456',
        ...(recordingHealth
          ? { 'voice-recording.mvr/recording-health': recordingHealth }
          : {}),
      },
    },
    spec: { type: 'mobile-number', owner: 'user:default/bob' },
  };
}

/** The entity tab of `entity`, with the given API and permission answer. */
export function renderEntityTab(
  entity: Entity,
  api: Record<string, jest.Mock>,
  authorize: 'ALLOW' | 'DENY',
) {
  return renderInTestApp(
    <EntityProvider entity={entity}>
      <EntityVoiceRecordingContent />
    </EntityProvider>,
    {
      apis: [
        ...catalogApis(),
        [voiceRecordingApiRef, api],
        mockApis.permission({ authorize: authorize as any }),
      ],
      mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
    },
  );
}
