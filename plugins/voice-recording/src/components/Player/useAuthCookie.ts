import { useEffect, useState } from 'react';
import type { VoiceRecordingApi } from '../../api/VoiceRecordingApi';

/** Refresh this long before the cookie expires. */
const REFRESH_MARGIN_MS = 60_000;
const MIN_DELAY_MS = 10_000;
const RETRY_DELAY_MS = 15_000;

/** When to refresh a cookie that expires at `expiresAt` (ms from now). */
export function cookieRefreshDelay(
  expiresAt: string,
  now = Date.now(),
): number {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return RETRY_DELAY_MS;
  return Math.max(MIN_DELAY_MS, at - now - REFRESH_MARGIN_MS);
}

/**
 * Gets the Backstage user cookie from the voice-recording backend (so that the
 * browser's own `<audio src>` requests are authenticated) and keeps it fresh until
 * unmounted, as techdocs does for its static content.
 */
export function useAuthCookie(
  api: Pick<VoiceRecordingApi, 'refreshAuthCookie'>,
): {
  ready: boolean;
  error?: Error;
} {
  const [state, setState] = useState<{ ready: boolean; error?: Error }>({
    ready: false,
  });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = async () => {
      try {
        const { expiresAt } = await api.refreshAuthCookie();
        if (stopped) return;
        setState({ ready: true });
        timer = setTimeout(refresh, cookieRefreshDelay(expiresAt));
      } catch (e) {
        if (stopped) return;
        setState(s => ({ ready: s.ready, error: e as Error }));
        timer = setTimeout(refresh, RETRY_DELAY_MS);
      }
    };
    refresh();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [api]);
  return state;
}
