import { LoggerService } from '@backstage/backend-plugin-api';
import { FourEyesStore } from './database/FourEyesStore';

/** The demo's four-eyes user (examples/org.yaml); the browser test four-eyes.test.ts signs in as him. */
export const DEMO_FOUR_EYES_USER = 'user:default/erik';
/** The four-eyes user's recorded number (examples/voice-recording.yaml), with demo calls. */
export const DEMO_FOUR_EYES_NUMBER = '+32468123456';
/** The demo observers (dave is a member). */
export const DEMO_FOUR_EYES_OBSERVER = 'group:default/observers';

/**
 * The demo's four-eyes user: erik opens recordings only after an observer (dave, of the
 * Observers group) confirmed his session. Only when nobody is flagged yet; never fails
 * the plugin's start.
 */
export async function loadDemoFourEyes(options: {
  store: FourEyesStore;
  logger: LoggerService;
  now?: Date;
}): Promise<boolean> {
  const { store, logger } = options;
  try {
    if ((await store.listFlags()).length > 0) return false;
    await store.setFlag(
      DEMO_FOUR_EYES_USER,
      DEMO_FOUR_EYES_OBSERVER,
      'user:default/alice',
      options.now ?? new Date(),
    );
    logger.info(
      `voice-recording demo: ${DEMO_FOUR_EYES_USER} is four-eyes, observed by ${DEMO_FOUR_EYES_OBSERVER}`,
    );
    return true;
  } catch (e) {
    logger.warn(
      `voice-recording demo: could not flag the four-eyes user: ${
        (e as Error).message
      }`,
    );
    return false;
  }
}
