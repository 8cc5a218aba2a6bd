import {
  CaptureStoreError,
  isCaptureStoreError,
  voiceRecordingCaptureExtensionPoint,
} from './capture';

describe('CaptureStoreError', () => {
  it('is retryable only when the store is unavailable', () => {
    const down = new CaptureStoreError(
      'unavailable',
      'conversations.finish',
      'database unavailable: connect ECONNREFUSED',
    );
    expect(down.retryable).toBe(true);
    expect(down.message).toBe(
      'conversations.finish: database unavailable: connect ECONNREFUSED',
    );
    expect(down.name).toBe('CaptureStoreError');
    for (const code of [
      'not-found',
      'conflict',
      'invalid',
      'failed',
    ] as const) {
      expect(new CaptureStoreError(code, 'op', 'x').retryable).toBe(false);
    }
  });

  it('is detected across package copies by name and code', () => {
    const cause = new Error('boom');
    const e = new CaptureStoreError('unavailable', 'op', 'x', cause);
    expect(e.cause).toBe(cause);
    expect(isCaptureStoreError(e)).toBe(true);
    const copy = Object.assign(new Error('x'), {
      name: 'CaptureStoreError',
      code: 'unavailable',
      retryable: true,
    });
    expect(isCaptureStoreError(copy)).toBe(true);
    expect(isCaptureStoreError(new Error('x'))).toBe(false);
    expect(isCaptureStoreError(undefined)).toBe(false);
  });

  it('has the documented extension point id', () => {
    expect(voiceRecordingCaptureExtensionPoint.id).toBe(
      'voice-recording.capture',
    );
  });
});
