import { SipRequest, parseParams } from '../message';
import { Timers, realTimers } from '../transaction';

export type Refresher = 'uac' | 'uas';

export interface SessionTimerPolicy {
  /** Smallest interval we accept (s); RFC 4028 floor is 90. */
  minSE?: number;
  /** Interval to impose when the UAC supports timers but asked for none (s); 0 = none. */
  defaultInterval?: number;
  /** Largest interval we agree to (s); longer requests are reduced. */
  maxInterval?: number;
  /** Who refreshes when the UAC leaves it to us and supports timers. A recorder prefers 'uac'. */
  preferredRefresher?: Refresher;
}

export type SessionTimerDecision =
  | { kind: 'none' }
  | {
      kind: 'reject';
      status: 422;
      reason: 'Session Interval Too Small';
      headers: Record<string, string>;
    }
  | {
      kind: 'active';
      interval: number;
      refresher: Refresher;
      /** Headers to add to the 2xx (Session-Expires, and Require: timer when the UAC supports it). */
      responseHeaders: Record<string, string>;
    };

function tokens(req: SipRequest, name: string): string[] {
  return req.headers.getAll(name).map(t => t.trim().toLowerCase());
}

/** Reads `Session-Expires: 1800;refresher=uac` (compact `x`). */
export function parseSessionExpires(
  value: string | undefined,
): { interval: number; refresher?: Refresher } | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d{1,10})\s*(;.*)?$/.exec(value);
  if (!m) return undefined;
  const r = parseParams(m[2] ?? '').get('refresher')?.toLowerCase();
  return {
    interval: Number(m[1]),
    refresher: r === 'uac' || r === 'uas' ? r : undefined,
  };
}

/** UAS behaviour of RFC 4028 §9 for an INVITE or UPDATE. */
export function negotiateSessionTimer(
  req: SipRequest,
  policy: SessionTimerPolicy = {},
): SessionTimerDecision {
  const minSE = Math.max(90, policy.minSE ?? 90);
  const uacSupports = [...tokens(req, 'Supported'), ...tokens(req, 'Require')].includes('timer');
  const se = parseSessionExpires(req.headers.get('Session-Expires'));
  const reqMinSE = Number(/^\s*(\d+)/.exec(req.headers.get('Min-SE') ?? '')?.[1] ?? 0);
  let interval: number;
  let refresher: Refresher;
  if (se) {
    if (se.interval < minSE) {
      return {
        kind: 'reject',
        status: 422,
        reason: 'Session Interval Too Small',
        headers: { 'Min-SE': String(minSE) },
      };
    }
    interval = se.interval;
    if (policy.maxInterval && interval > policy.maxInterval) {
      interval = Math.max(policy.maxInterval, minSE, reqMinSE);
    }
    refresher = se.refresher ?? (uacSupports ? policy.preferredRefresher ?? 'uac' : 'uas');
    if (!uacSupports) refresher = 'uas';
  } else {
    if (!uacSupports || !policy.defaultInterval) return { kind: 'none' };
    interval = Math.max(policy.defaultInterval, minSE, reqMinSE);
    refresher = policy.preferredRefresher ?? 'uac';
  }
  const responseHeaders: Record<string, string> = {
    'Session-Expires': `${interval};refresher=${refresher}`,
  };
  if (uacSupports) responseHeaders.Require = 'timer';
  return { kind: 'active', interval, refresher, responseHeaders };
}

export interface SessionTimerOptions {
  timers?: Timers;
  /** The session was not refreshed in time: end it (send BYE). */
  onExpired: () => void;
  /** We are the refresher and should send a refresh now (interval/2). */
  onRefreshDue?: () => void;
}

/**
 * Runs the RFC 4028 §10 timers for one session. When the peer refreshes, the
 * session expires `interval - min(32, interval/3)` seconds after the last
 * refresh; when we refresh, `onRefreshDue` fires at half the interval.
 */
export class SessionTimer {
  private expiry?: unknown;
  private refresh?: unknown;
  private readonly timers: Timers;
  interval = 0;
  refresher: Refresher = 'uac';
  lastRefreshAt?: number;

  constructor(private readonly options: SessionTimerOptions) {
    this.timers = options.timers ?? realTimers;
  }

  get active(): boolean {
    return this.expiry !== undefined;
  }

  /** (Re)starts the timers after a successful (re-)INVITE or UPDATE. */
  refreshed(interval: number, refresher: Refresher): void {
    this.stop();
    this.interval = interval;
    this.refresher = refresher;
    this.lastRefreshAt = this.timers.now();
    const s = interval * 1000;
    const expireIn = s - Math.min(32_000, s / 3);
    this.expiry = this.timers.setTimeout(() => {
      this.expiry = undefined;
      this.stopRefresh();
      this.options.onExpired();
    }, expireIn);
    if (refresher === 'uas' && this.options.onRefreshDue) {
      this.refresh = this.timers.setTimeout(() => {
        this.refresh = undefined;
        this.options.onRefreshDue?.();
      }, s / 2);
    }
  }

  /** Applies a negotiation outcome: starts for 'active', stops otherwise. */
  apply(decision: SessionTimerDecision): void {
    if (decision.kind === 'active') this.refreshed(decision.interval, decision.refresher);
    else this.stop();
  }

  private stopRefresh() {
    if (this.refresh !== undefined) this.timers.clearTimeout(this.refresh);
    this.refresh = undefined;
  }

  stop(): void {
    if (this.expiry !== undefined) this.timers.clearTimeout(this.expiry);
    this.expiry = undefined;
    this.stopRefresh();
  }
}
