/*
 * Where an answered INVITE's set-up time goes, phase by phase (INVITE received →
 * checks → recording decision → ports → journal and conversation row → 200 OK sent),
 * over the last calls. The recorder keeps it all the time: it costs a few clock reads
 * per call, and it is what tells a slow database from a busy event loop when the
 * INVITE → 200 OK latency grows (docs/operations.md, "Call set-up latency under load").
 */
import { performance } from 'node:perf_hooks';

export const SETUP_PHASES = ['checks', 'decision', 'concurrency', 'ports', 'session', 'answer'] as const;
export type SetupPhase = (typeof SETUP_PHASES)[number];
/** the two waits of the `session` phase, which run at the same time: the conversation row's insert and taking the journal file */
export const SESSION_WAITS = ['row', 'journal'] as const;
export type SessionWait = (typeof SESSION_WAITS)[number];

export interface LatencyFigures {
  /** answered calls these figures are about */
  calls: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SetupLatencyReport {
  /** INVITE received → 200 OK handed to the transport, ms */
  total: LatencyFigures;
  /** each phase, ms (a phase a call skipped counts as 0 for it) */
  phases: Record<SetupPhase, LatencyFigures>;
  /** the waits inside the `session` phase, ms (they overlap: the phase lasts as long as the longer) */
  sessionWaits: Record<SessionWait, LatencyFigures>;
  /** the slowest set-ups of the window, slowest first, with their phases (ms) */
  slowest: Array<{ total: number; phases: Record<SetupPhase, number> }>;
}

/** One INVITE's clock: `mark(phase)` closes the phase that ran since the last mark. */
export class SetupClock {
  private last: number;
  readonly started: number;
  readonly spent: Partial<Record<SetupPhase, number>> = {};
  readonly waits: Partial<Record<SessionWait, number>> = {};
  constructor(now: () => number = () => performance.now()) {
    this.now = now;
    this.started = now();
    this.last = this.started;
  }
  private readonly now: () => number;

  mark(phase: SetupPhase): void {
    const t = this.now();
    this.spent[phase] = (this.spent[phase] ?? 0) + (t - this.last);
    this.last = t;
  }

  /** How long one of the session phase's parallel waits took (ms). */
  wait(name: SessionWait, ms: number | undefined): void {
    if (ms !== undefined) this.waits[name] = ms;
  }

  get elapsed(): number {
    return this.last - this.started;
  }
}

const round = (v: number) => Math.round(v * 100) / 100;

function figures(samples: Float64Array, count: number): LatencyFigures {
  if (count === 0) return { calls: 0, p50: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples.subarray(0, count)).sort();
  const at = (p: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1))];
  return { calls: count, p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[count - 1]) };
}

/** The last `window` answered calls' set-up clocks (a ring, fixed memory). */
export class SetupLatency {
  private readonly total: Float64Array;
  private readonly phases: Record<SetupPhase, Float64Array>;
  private readonly waits: Record<SessionWait, Float64Array>;
  private next = 0;
  private count = 0;
  private readonly listeners: Array<(totalMs: number) => void> = [];

  constructor(readonly window = 2048) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`SetupLatency window must be a positive integer, got ${window}`);
    this.total = new Float64Array(window);
    this.phases = Object.fromEntries(SETUP_PHASES.map(p => [p, new Float64Array(window)])) as Record<SetupPhase, Float64Array>;
    this.waits = Object.fromEntries(SESSION_WAITS.map(w => [w, new Float64Array(window)])) as Record<SessionWait, Float64Array>;
  }

  record(clock: SetupClock): void {
    const i = this.next;
    this.total[i] = clock.elapsed;
    for (const p of SETUP_PHASES) this.phases[p][i] = clock.spent[p] ?? 0;
    for (const w of SESSION_WAITS) this.waits[w][i] = clock.waits[w] ?? 0;
    this.next = (i + 1) % this.window;
    this.count = Math.min(this.count + 1, this.window);
    for (const l of this.listeners) l(clock.elapsed);
  }

  /** Called with each answered call's set-up time (ms), e.g. for a metrics histogram. */
  onRecord(listener: (totalMs: number) => void): void {
    this.listeners.push(listener);
  }

  report(slowest = 5): SetupLatencyReport {
    const order = Array.from({ length: this.count }, (_, i) => i).sort((a, b) => this.total[b] - this.total[a]);
    return {
      total: figures(this.total, this.count),
      phases: Object.fromEntries(SETUP_PHASES.map(p => [p, figures(this.phases[p], this.count)])) as Record<SetupPhase, LatencyFigures>,
      sessionWaits: Object.fromEntries(SESSION_WAITS.map(w => [w, figures(this.waits[w], this.count)])) as Record<SessionWait, LatencyFigures>,
      slowest: order.slice(0, slowest).map(i => ({
        total: round(this.total[i]),
        phases: Object.fromEntries(SETUP_PHASES.map(p => [p, round(this.phases[p][i])])) as Record<SetupPhase, number>,
      })),
    };
  }

  reset(): void {
    this.next = 0;
    this.count = 0;
  }
}
