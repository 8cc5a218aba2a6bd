/** jsdom has neither media playback nor canvas: stubs for components that use them. */
export function stubMediaAndCanvas() {
  jest
    .spyOn(HTMLMediaElement.prototype, 'canPlayType')
    .mockImplementation(() => '');
  jest
    .spyOn(HTMLMediaElement.prototype, 'play')
    .mockImplementation(() => Promise.resolve());
  jest
    .spyOn(HTMLMediaElement.prototype, 'pause')
    .mockImplementation(() => undefined);
  jest
    .spyOn(HTMLMediaElement.prototype, 'load')
    .mockImplementation(() => undefined);
  jest
    .spyOn(HTMLCanvasElement.prototype, 'getContext')
    .mockImplementation(() => null);
}

/** A mock of the API calls the player makes. */
export function playerApiMocks() {
  return {
    refreshAuthCookie: jest.fn(async () => ({
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    })),
    recordPlaybackStart: jest.fn(async () => undefined),
    getAudioUrl: jest.fn(
      async (id: string, format?: string) =>
        `/api/voice-recording/conversations/${id}/audio?format=${format}`,
    ),
    getWaveform: jest.fn(async () => ({
      durationMs: 125_000,
      channels: [
        { label: 'left', peaks: [0.1, 0.5] },
        { label: 'right', peaks: [0.3, 0.1] },
      ],
    })),
    // the signature status beside the player (IntegrityPage/RecordingSignatureStatus)
    getConversationSignatures: jest.fn(async (id: string) => ({
      conversationId: id,
      keyId: '0123456789abcdef',
      signatures: [],
    })),
    verifyConversation: jest.fn(),
  };
}
