/*
 * Logging for events a peer can cause at any rate (malformed messages, dropped TLS
 * handshakes, scanners): the first event of a window is logged at once, the others of
 * that window are counted and reported in one line with the next logged event, so a
 * flood costs one line per window and nothing is silently lost.
 */

export interface RateLimitedLogOptions {
  /** where the lines go (a logger's warn, typically) */
  write: (line: string) => void;
  /** one line per this many milliseconds at most (default 10 s) */
  windowMs?: number;
  /** what an event is, in the summary: "3 more malformed SIP messages" */
  noun: string;
  now?: () => number;
}

export class RateLimitedLog {
  private lastAt = -Infinity;
  private suppressed = 0;
  private total = 0;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly options: RateLimitedLogOptions) {
    this.windowMs = options.windowMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** events seen, logged or not */
  get count(): number {
    return this.total;
  }

  log(message: string): void {
    this.total++;
    const now = this.now();
    if (now - this.lastAt < this.windowMs) {
      this.suppressed++;
      return;
    }
    const since = this.suppressed
      ? ` (${this.suppressed} more ${this.options.noun} since the last line not logged; ${this.total} in all)`
      : '';
    this.lastAt = now;
    this.suppressed = 0;
    this.options.write(`${message}${since}`);
  }
}
