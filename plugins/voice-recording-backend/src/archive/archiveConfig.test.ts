import * as os from 'node:os';
import { ConfigReader } from '@backstage/config';
import { readArchiveWorkConfig } from './archiveConfig';

const read = (voiceRecording: object, captureSources = 0) =>
  readArchiveWorkConfig(new ConfigReader({ voiceRecording }), { captureSources });

describe('voiceRecording.archive', () => {
  it('is on where a recorder runs and off in a portal-only process, unless configured', () => {
    expect(read({}, 1).enabled).toBe(true);
    expect(read({}, 0).enabled).toBe(false);
    expect(read({ archive: { enabled: true } }, 0).enabled).toBe(true);
    expect(read({ archive: { enabled: false } }, 1).enabled).toBe(false);
  });

  it("takes the recorder's encoder threads and Opus settings as defaults (keys of before the queue)", () => {
    const c = read({ recorder: { opus: { encoderThreads: 3, bitrate: 64000, complexity: 4, frameMs: 20, skipSilence: false } } }, 1);
    expect(c).toEqual({
      enabled: true,
      encoderThreads: 3,
      concurrency: 3,
      scanIntervalMs: 60_000,
      opus: { layer: 'celt', bitrate: 64000, complexity: 4, frameMs: 20, skipSilence: false },
    });
    expect(read({}, 1)).toMatchObject({
      encoderThreads: Math.max(1, os.availableParallelism() - 1),
      opus: { layer: 'celt', bitrate: 18800, complexity: 0, frameMs: 60, skipSilence: true },
    });
    // the layer's own default bit rate unless one is set
    expect(read({ recorder: { opus: { layer: 'silk' } } }, 1).opus).toEqual({ layer: 'silk', bitrate: 15000, complexity: 0, frameMs: 60, skipSilence: true });
    expect(read({ recorder: { opus: { layer: 'silk', bitrate: 16000 } } }, 1).opus).toMatchObject({ layer: 'silk', bitrate: 16000 });
    expect(
      read({ recorder: { opus: { encoderThreads: 3 } }, archive: { encoderThreads: 6, concurrency: 4, scanIntervalSeconds: 5 } }, 0),
    ).toMatchObject({ encoderThreads: 6, concurrency: 4, scanIntervalMs: 5000 });
  });

  it('refuses bad values naming the key', () => {
    expect(() => read({ archive: { encoderThreads: 0 } })).toThrow('voiceRecording.archive.encoderThreads: 0 is not an integer 1..64');
    expect(() => read({ archive: { concurrency: 1.5 } })).toThrow('voiceRecording.archive.concurrency: 1.5 is not an integer 1..256');
    expect(() => read({ archive: { scanIntervalSeconds: 0 } })).toThrow('voiceRecording.archive.scanIntervalSeconds: 0 is not an integer 1..86400');
    expect(() => read({ recorder: { opus: { frameMs: 30 } } })).toThrow('voiceRecording.recorder.opus.frameMs 30 is not one of 20, 40, 60');
    expect(() => read({ recorder: { opus: { layer: 'hybrid' } } })).toThrow('voiceRecording.recorder.opus.layer: "hybrid" is not one of celt, silk');
  });
});
