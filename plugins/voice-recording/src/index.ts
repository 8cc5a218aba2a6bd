/**
 * Frontend plugin of Mobile Voice Recording (new frontend system).
 *
 * @packageDocumentation
 */
import { voiceRecordingPlugin } from './plugin';

export default voiceRecordingPlugin;
export {
  voiceRecordingPlugin,
  voiceRecordingApi,
  voiceRecordingPage,
  voiceRecordingEntityContent,
  isMobileNumberEntity,
} from './plugin';
export * from './api';
export {
  rootRouteRef,
  numberDetailRouteRef,
  conversationDetailRouteRef,
} from './routes';
export {
  ANNOTATION_NUMBER,
  ANNOTATION_NUMBER_ID,
  MOBILE_NUMBER_RESOURCE_TYPE,
  RECORDED_NUMBER_KIND,
} from './constants';
export { WeekGrid } from './components/WeekGrid/WeekGrid';
export type { WeekGridProps } from './components/WeekGrid/WeekGrid';
export { StatusBadge } from './components/StatusBadge/StatusBadge';
