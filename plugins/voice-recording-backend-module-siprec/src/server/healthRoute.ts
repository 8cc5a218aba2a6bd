/*
 * GET /api/voice-recording/recorder/health: the recorder's health for a load balancer
 * or an orchestrator, without sign-in (the module's auth policy allows this path only).
 * 200 `{ status: 'ok' }` when new calls are taken, 503 `{ status: 'unavailable', reasons }`
 * otherwise; reason codes only (recorderHealth.ts), nothing about calls.
 */
import type { HttpRouterService } from '@backstage/backend-plugin-api';
import { RecorderHealth } from './recorderHealth';

/** The path under the plugin's base URL (`/api/voice-recording`). */
export const RECORDER_HEALTH_PATH = '/recorder/health';

type Handler = Parameters<HttpRouterService['use']>[0];

/**
 * The health route as a middleware of the plugin's router (other paths go on).
 * `health()` is the running recorder's, or why there is none.
 */
export function recorderHealthRoute(
  health: () => RecorderHealth,
  /** more figures for the body (no call, number, path or key): e.g. `uploads` */
  details: () => Record<string, unknown> = () => ({}),
): Handler {
  return (req, res, next) => {
    if (
      req.path !== RECORDER_HEALTH_PATH ||
      (req.method !== 'GET' && req.method !== 'HEAD')
    ) {
      next();
      return;
    }
    const h = health();
    res.setHeader('Cache-Control', 'no-store');
    if (h.ok) {
      res.status(200).json({ status: 'ok', ...details() });
      return;
    }
    res.setHeader('Retry-After', '30');
    res.status(503).json({ status: 'unavailable', reasons: h.reasons, ...details() });
  };
}
