import { RiMicLine } from '@remixicon/react';
import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import type { Entity } from '@backstage/catalog-model';
import { voiceRecordingApiRef } from './api/VoiceRecordingApi';
import { VoiceRecordingClient } from './api/VoiceRecordingClient';
import { MOBILE_NUMBER_RESOURCE_TYPE, RECORDED_NUMBER_KIND } from './constants';
import {
  accessRequestRouteRef,
  conversationDetailRouteRef,
  numberDetailRouteRef,
  recordingHealthNumberRouteRef,
  rootRouteRef,
} from './routes';

/** The client of the voice-recording backend. */
export const voiceRecordingApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: voiceRecordingApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new VoiceRecordingClient({ discoveryApi, fetchApi }),
    }),
});

/** The plugin page at /voice-recording; its title and icon also make the nav item. */
export const voiceRecordingPage = PageBlueprint.make({
  params: {
    path: '/voice-recording',
    title: 'Voice recording',
    icon: <RiMicLine />,
    routeRef: rootRouteRef,
    loader: () =>
      import('./components/VoiceRecordingPage/VoiceRecordingPage').then(m => (
        <m.VoiceRecordingPage />
      )),
  },
});

/** Whether an entity is a recorded mobile number registered by the catalog module. */
export function isMobileNumberEntity(entity: Entity): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') ===
      RECORDED_NUMBER_KIND.toLocaleLowerCase('en-US') &&
    (entity.spec as { type?: unknown } | undefined)?.type ===
      MOBILE_NUMBER_RESOURCE_TYPE
  );
}

/** "Voice recording" tab on recorded-number entities. */
export const voiceRecordingEntityContent = EntityContentBlueprint.make({
  params: {
    path: 'voice-recording',
    title: 'Voice recording',
    filter: isMobileNumberEntity,
    loader: () =>
      import(
        './components/EntityVoiceRecordingContent/EntityVoiceRecordingContent'
      ).then(m => <m.EntityVoiceRecordingContent />),
  },
});

/** The voice-recording frontend plugin (new frontend system). */
export const voiceRecordingPlugin = createFrontendPlugin({
  pluginId: 'voice-recording',
  title: 'Voice recording',
  icon: <RiMicLine />,
  routes: {
    root: rootRouteRef,
    numberDetail: numberDetailRouteRef,
    conversationDetail: conversationDetailRouteRef,
    accessRequest: accessRequestRouteRef,
    recordingHealthNumber: recordingHealthNumberRouteRef,
  },
  extensions: [
    voiceRecordingApi,
    voiceRecordingPage,
    voiceRecordingEntityContent,
  ],
});
