import { RateLimitedLog } from './RateLimitedLog';

describe('RateLimitedLog', () => {
  it('logs the first event of a window and counts the rest into the next line', () => {
    let now = 1_000_000;
    const lines: string[] = [];
    const log = new RateLimitedLog({ write: l => lines.push(l), windowMs: 10_000, noun: 'dropped TLS connections', now: () => now });
    log.log('TLS connection from 10.0.0.1:5000 dropped: wrong version number');
    for (let i = 0; i < 499; i++) {
      now += 10;
      log.log(`TLS connection from 10.0.0.1:${5001 + i} dropped: wrong version number`);
    }
    expect(lines).toEqual(['TLS connection from 10.0.0.1:5000 dropped: wrong version number']);
    now += 10_000;
    log.log('TLS connection from 10.0.0.2:6000 dropped: no client certificate');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      'TLS connection from 10.0.0.2:6000 dropped: no client certificate (499 more dropped TLS connections since the last line not logged; 501 in all)',
    );
    expect(log.count).toBe(501);
    now += 10_000;
    log.log('another');
    expect(lines[2]).toBe('another');
  });
});
