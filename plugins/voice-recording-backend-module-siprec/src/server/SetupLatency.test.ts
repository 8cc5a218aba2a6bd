import { SetupClock, SetupLatency } from './SetupLatency';

/** A clock whose phases take the given ms (a fake time source). */
function clockOf(spent: Partial<Record<'checks' | 'decision' | 'ports' | 'session' | 'answer', number>>, waits: { row?: number; journal?: number } = {}) {
  let t = 1000;
  const c = new SetupClock(() => t);
  for (const [phase, ms] of Object.entries(spent)) {
    t += ms!;
    c.mark(phase as keyof typeof spent);
  }
  c.wait('row', waits.row);
  c.wait('journal', waits.journal);
  return c;
}

describe('SetupClock', () => {
  it('charges the time since the last mark to the phase marked, and adds up repeated marks', () => {
    let t = 0;
    const c = new SetupClock(() => t);
    t = 2;
    c.mark('checks');
    t = 9;
    c.mark('decision');
    t = 10;
    c.mark('checks');
    expect(c.spent).toEqual({ checks: 3, decision: 7 });
    expect(c.elapsed).toBe(10);
  });
});

describe('SetupLatency', () => {
  it('reports p50 / p99 / max of the set-up and of each phase, a skipped phase as 0', () => {
    const l = new SetupLatency();
    for (let i = 1; i <= 100; i++) l.record(clockOf({ checks: 1, decision: i, session: 2 * i }, { row: 2 * i, journal: 1 }));
    const r = l.report();
    expect(r.total).toEqual({ calls: 100, p50: 1 + 50 + 100, p99: 1 + 99 + 198, max: 301 });
    expect(r.phases.decision).toEqual({ calls: 100, p50: 50, p99: 99, max: 100 });
    expect(r.phases.checks).toMatchObject({ p50: 1, max: 1 });
    expect(r.phases.ports).toMatchObject({ p50: 0, p99: 0, max: 0 });
    expect(r.sessionWaits.row).toMatchObject({ p99: 198, max: 200 });
    expect(r.sessionWaits.journal).toMatchObject({ p99: 1 });
    // the slowest first, with where their time went
    expect(r.slowest.map(s => s.total)).toEqual([301, 298, 295, 292, 289]);
    expect(r.slowest[0].phases).toMatchObject({ checks: 1, decision: 100, session: 200, ports: 0 });
  });

  it('keeps only the last `window` calls, and starts over on reset', () => {
    const l = new SetupLatency(10);
    for (let i = 0; i < 25; i++) l.record(clockOf({ decision: i < 15 ? 1000 : 5 }));
    expect(l.report().total).toEqual({ calls: 10, p50: 5, p99: 5, max: 5 });
    l.reset();
    expect(l.report()).toMatchObject({ total: { calls: 0, p50: 0, p99: 0, max: 0 }, slowest: [] });
    expect(() => new SetupLatency(0)).toThrow(/positive integer/);
  });
});
