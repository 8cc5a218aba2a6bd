import { CaptureConversations } from '@mvr/plugin-voice-recording-node';

/**
 * A conversations collaborator for unit tests that exercise the recorder, not the
 * store: nothing stored, every call answered as an empty database would; override
 * the methods a test watches. (Tests of the store itself use the real database.)
 */
export function emptyConversations(overrides: Partial<CaptureConversations> = {}): CaptureConversations {
  return {
    begin: async () => '',
    update: async () => {},
    finish: async () => ({}) as any,
    recordRefused: async () => ({}) as any,
    activeCount: async () => 0,
    listInProgress: async () => [],
    get: async () => undefined,
    listArchivesToCompress: async () => [],
    replaceArchive: async () => 'stale',
    forgetSupersededArchive: async () => {},
    ...overrides,
  };
}
