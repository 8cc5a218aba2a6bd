/** Injectable timer source so state machines can be tested without sleeping. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Milliseconds, monotonic enough for protocol timers. */
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

/**
 * Deterministic clock for tests: timers fire only from {@link FakeTimers.advance},
 * in due-time order (ties in scheduling order).
 */
export class FakeTimers implements Timers {
  private time = 0;
  private seq = 0;
  private readonly pending = new Map<number, { due: number; seq: number; fn: () => void }>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { due: this.time + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Number of scheduled timers. */
  get size(): number {
    return this.pending.size;
  }

  /** Moves time forward, firing every timer that falls due (including ones they schedule). */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: { id: number; due: number; seq: number; fn: () => void } | undefined;
      for (const [id, t] of this.pending) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) {
          next = { id, ...t };
        }
      }
      if (!next) break;
      this.pending.delete(next.id);
      this.time = next.due;
      next.fn();
    }
    this.time = target;
  }
}
