export {
  createCaptureContext,
  captureActorRef,
  normalizeParticipant,
} from './createCaptureContext';
export type { CaptureContextOptions } from './createCaptureContext';
export { CaptureSources } from './CaptureSources';
