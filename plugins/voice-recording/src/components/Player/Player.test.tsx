import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { makeConversationDetail } from '../../testUtils/conversations';
import { Player } from './Player';
import { preferredAudioFormat } from './audioFormat';
import { cookieRefreshDelay } from './useAuthCookie';

const LABELS: [string, string] = [
  'Recorded user: +32470123456 (Bob)',
  'Other party: +32471234567',
];

let canPlayOgg = true;

beforeEach(() => {
  canPlayOgg = true;
  jest
    .spyOn(HTMLMediaElement.prototype, 'canPlayType')
    .mockImplementation(type =>
      canPlayOgg && type.includes('opus') ? 'probably' : '',
    );
  jest
    .spyOn(HTMLMediaElement.prototype, 'play')
    .mockImplementation(function play(this: HTMLMediaElement) {
      Object.defineProperty(this, 'paused', {
        value: false,
        configurable: true,
      });
      this.dispatchEvent(new Event('play'));
      return Promise.resolve();
    });
  jest
    .spyOn(HTMLMediaElement.prototype, 'pause')
    .mockImplementation(function pause(this: HTMLMediaElement) {
      Object.defineProperty(this, 'paused', {
        value: true,
        configurable: true,
      });
      this.dispatchEvent(new Event('pause'));
    });
  jest
    .spyOn(HTMLMediaElement.prototype, 'load')
    .mockImplementation(() => undefined);
  // jsdom has no canvas: drawing is skipped, the layout is tested on its own.
  jest
    .spyOn(HTMLCanvasElement.prototype, 'getContext')
    .mockImplementation(() => null);
});

afterEach(() => jest.restoreAllMocks());

function renderPlayer(overrides = {}) {
  const conversation = makeConversationDetail(overrides);
  const api = {
    refreshAuthCookie: jest.fn(async () => ({
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    })),
    getAudioUrl: jest.fn(
      async (id: string, format?: string) =>
        `http://localhost:7007/api/voice-recording/conversations/${id}/audio?format=${format}`,
    ),
    recordPlaybackStart: jest.fn(
      async (_id: string, _format: string): Promise<void> => undefined,
    ),
    getWaveform: jest.fn(async () => ({
      durationMs: 125_000,
      channels: [
        { label: 'left', party: '+32470123456', peaks: [0.1, 0.5, 0.9, 0.2] },
        { label: 'right', party: '+32471234567', peaks: [0.3, 0.3, 0.1, 0] },
      ],
    })),
  };
  const rendered = renderInTestApp(
    <Player conversation={conversation} labels={LABELS} />,
    {
      apis: [[voiceRecordingApiRef, api]],
    },
  );
  return { api, conversation, rendered };
}

async function readyAudio() {
  await waitFor(() => expect(screen.getByTestId('play-button')).toBeEnabled(), {
    timeout: 5000,
  });
  return screen.getByTestId('player-audio') as HTMLAudioElement;
}

describe('Player', () => {
  it('gets the cookie, then plays the Ogg/Opus stream when the browser can', async () => {
    const { api } = renderPlayer();
    const audio = await readyAudio();
    expect(api.refreshAuthCookie).toHaveBeenCalledTimes(1);
    expect(api.getAudioUrl).toHaveBeenCalledWith('c1', 'ogg');
    expect(audio.getAttribute('src')).toBe(
      'http://localhost:7007/api/voice-recording/conversations/c1/audio?format=ogg',
    );

    fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    expect(HTMLMediaElement.prototype.play).toHaveBeenCalled();
    fireEvent.click(await screen.findByRole('button', { name: 'Pause' }));
    expect(HTMLMediaElement.prototype.pause).toHaveBeenCalled();
    expect(await screen.findByRole('button', { name: 'Play' })).toBeEnabled();
  });

  it('preloads the metadata once it has the cookie, and reports each playback start once', async () => {
    const { api } = renderPlayer();
    const audio = await readyAudio();
    // headers and duration are fetched on page view, so that Play starts at once
    expect(audio.getAttribute('preload')).toBe('metadata');
    expect(api.recordPlaybackStart).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    await waitFor(() =>
      expect(api.recordPlaybackStart).toHaveBeenCalledWith('c1', 'ogg'),
    );
    // pause and resume (or seek) within the same listen: no new start
    fireEvent.click(await screen.findByRole('button', { name: 'Pause' }));
    fireEvent.click(await screen.findByRole('button', { name: 'Play' }));
    await screen.findByRole('button', { name: 'Pause' });
    expect(api.recordPlaybackStart).toHaveBeenCalledTimes(1);

    // played to the end (the element pauses), then Play again: a second start
    act(() => {
      Object.defineProperty(audio, 'paused', {
        value: true,
        configurable: true,
      });
      audio.dispatchEvent(new Event('ended'));
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Play' }));
    await waitFor(() =>
      expect(api.recordPlaybackStart).toHaveBeenCalledTimes(2),
    );
    expect(api.recordPlaybackStart).toHaveBeenLastCalledWith('c1', 'ogg');
  });

  it('stops the downloads when the page is left (frees the browser connections)', async () => {
    const { api, rendered } = renderPlayer();
    const audio = await readyAudio();
    expect(audio.getAttribute('src')).toContain('/conversations/c1/audio');
    const [, , options] = api.getWaveform.mock.calls[0] as unknown as [
      string,
      number,
      { signal: AbortSignal },
    ];
    expect(options.signal.aborted).toBe(false);
    rendered.unmount();
    // the waveform request (seconds on a first view of a long call) is aborted too
    expect(options.signal.aborted).toBe(true);
    expect(audio.hasAttribute('src')).toBe(false);
    expect(HTMLMediaElement.prototype.pause).toHaveBeenCalled();
    expect(HTMLMediaElement.prototype.load).toHaveBeenCalled();
  });

  it('plays on when the playback start cannot be recorded, and says so', async () => {
    const { api } = renderPlayer();
    api.recordPlaybackStart.mockRejectedValueOnce(
      new Error('Request failed with 503 Service Unavailable'),
    );
    await readyAudio();
    fireEvent.click(screen.getByRole('button', { name: 'Play' }));
    expect(
      await screen.findByText(
        /The playback start could not be recorded: .*503 Service Unavailable/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Pause' })).toBeEnabled();
  });

  it('falls back to WAV when the browser cannot play Opus', async () => {
    canPlayOgg = false;
    const { api } = renderPlayer();
    await readyAudio();
    expect(api.getAudioUrl).toHaveBeenCalledWith('c1', 'wav');
  });

  it('sets playbackRate from the speed select', async () => {
    renderPlayer();
    const audio = await readyAudio();
    expect(audio.playbackRate).toBe(1);
    const user = userEvent.setup();
    const speed = () => screen.getByRole('button', { name: /Playback speed$/ });
    await user.click(speed());
    expect(screen.getAllByRole('option').map(o => o.textContent)).toEqual([
      '0.5×',
      '0.75×',
      '1×',
      '1.25×',
      '1.5×',
      '1.75×',
      '2×',
    ]);
    await user.click(screen.getByRole('option', { name: '1.5×' }));
    expect(audio.playbackRate).toBe(1.5);
    expect(speed()).toHaveTextContent('1.5×');
    await user.click(speed());
    await user.click(screen.getByRole('option', { name: '0.5×' }));
    expect(audio.playbackRate).toBe(0.5);
  });

  it('seeks by clicking the waveform, with the slider and on a DTMF marker', async () => {
    renderPlayer();
    const audio = await readyAudio();
    const canvas = await screen.findByTestId('waveform');
    expect(canvas).toHaveAttribute(
      'aria-label',
      `Waveform: top channel ${LABELS[0]}, bottom channel ${LABELS[1]}`,
    );
    expect(screen.getByTestId('waveform-label-recorded')).toHaveTextContent(
      LABELS[0],
    );
    expect(screen.getByTestId('waveform-label-other')).toHaveTextContent(
      LABELS[1],
    );
    jest.spyOn(canvas, 'getBoundingClientRect').mockReturnValue({
      left: 100,
      width: 500,
      top: 0,
      height: 160,
    } as DOMRect);

    // A quarter of the way along a 125 s call.
    fireEvent.click(canvas, { clientX: 225 });
    expect(audio.currentTime).toBeCloseTo(31.25);
    expect(screen.getByTestId('player-time')).toHaveTextContent('0:31 / 2:05');

    // The slider's End key goes to the end.
    const slider = screen.getByRole('slider', { name: 'Seek' });
    fireEvent.keyDown(slider, { key: 'End' });
    expect(audio.currentTime).toBeCloseTo(125);

    // DTMF markers sit at their offset from the start and seek there.
    const markers = screen.getAllByTestId('dtmf-marker');
    expect(markers.map(m => m.getAttribute('aria-label'))).toEqual([
      'DTMF 5 at 0:25',
      'DTMF # at 1:02',
    ]);
    expect(markers[0].style.left).toBe('20%');
    fireEvent.click(markers[1]);
    expect(audio.currentTime).toBeCloseTo(62.5);

    // Time updates from the element move the position shown.
    act(() => {
      audio.currentTime = 90;
      audio.dispatchEvent(new Event('timeupdate'));
    });
    expect(screen.getByTestId('player-time')).toHaveTextContent('1:30 / 2:05');
  });

  it('redraws the waveform in the new theme’s colours when the theme switches', async () => {
    // a canvas context that records what is drawn
    const draws: string[][] = [];
    const ctx = new Proxy({} as Record<string | symbol, unknown>, {
      get: (target, key) =>
        key in target
          ? target[key]
          : (target[key] = jest.fn(() => {
              if (key === 'clearRect') draws.push([]);
            })),
      set: (target, key, value) => {
        target[key] = value;
        if (key === 'fillStyle') draws[draws.length - 1]?.push(String(value));
        return true;
      },
    });
    jest
      .spyOn(HTMLCanvasElement.prototype, 'getContext')
      .mockImplementation(() => ctx as unknown as CanvasRenderingContext2D);
    renderPlayer();
    const canvas = await screen.findByTestId('waveform');
    await waitFor(() => expect(draws.length).toBeGreaterThan(0));
    expect(draws[draws.length - 1]).not.toContain('#123456');
    const before = draws.length;
    // the new theme's colour of the unplayed bars (jsdom does not inherit variables)
    canvas.style.setProperty('--bui-fg-disabled', '#123456');
    act(() => document.body.setAttribute('data-theme-mode', 'dark'));
    await waitFor(() => expect(draws.length).toBeGreaterThan(before));
    expect(draws[draws.length - 1]).toContain('#123456');
    document.body.removeAttribute('data-theme-mode');
  });

  it('shows the quality warnings', async () => {
    renderPlayer({ qualityWarnings: ['gaps', 'something-new'] });
    expect(
      await screen.findByTestId('player-quality-warnings'),
    ).toHaveTextContent('The audio has gaps; something-new');
  });
});

describe('preferredAudioFormat', () => {
  const media = (answer: string) => ({ canPlayType: () => answer as any });
  it('asks for Ogg only when the browser plays Opus and the backend offers it', () => {
    expect(preferredAudioFormat(media('maybe'))).toBe('ogg');
    expect(preferredAudioFormat(media(''))).toBe('wav');
    expect(preferredAudioFormat(media('probably'), ['wav'])).toBe('wav');
    expect(preferredAudioFormat(undefined)).toBe('wav');
  });
});

describe('cookieRefreshDelay', () => {
  it('refreshes a minute before expiry, not more often than every 10 s', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(cookieRefreshDelay('2026-11-25T11:00:00Z', now)).toBe(59 * 60_000);
    expect(cookieRefreshDelay('2026-11-25T10:00:30Z', now)).toBe(10_000);
    expect(cookieRefreshDelay('garbage', now)).toBe(15_000);
  });
});
