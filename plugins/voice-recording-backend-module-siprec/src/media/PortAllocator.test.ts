import dgram from 'node:dgram';
import { NoRtpPortError, PortAllocator } from './PortAllocator';

async function freeEvenRange(size: number): Promise<number> {
  // find a base whose ports are free right now (ephemeral range start varies)
  const probe = dgram.createSocket('udp4');
  await new Promise<void>(r => probe.bind(0, '127.0.0.1', () => r()));
  const p = probe.address().port;
  await new Promise<void>(r => probe.close(() => r()));
  const base = p - (p % 2) - size * 2 > 1024 ? p - (p % 2) - size * 2 : p - (p % 2);
  return base;
}

describe('PortAllocator', () => {
  it('hands out even ports of the range round robin, skips busy ones, and reports exhaustion', async () => {
    const min = await freeEvenRange(4);
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>(r => blocker.bind(min + 2, '127.0.0.1', () => r()));
    const alloc = new PortAllocator({ host: '127.0.0.1', range: { min, max: min + 5 } });
    const a = await alloc.allocate();
    const b = await alloc.allocate();
    expect([a.port, b.port]).toEqual([min, min + 4]); // min+2 is taken by another socket
    await expect(alloc.allocate()).rejects.toBeInstanceOf(NoRtpPortError);
    await a.release();
    const c = await alloc.allocate();
    expect(c.port).toBe(min);
    expect(alloc.allocated).toBe(2);
    await Promise.all([b.release(), c.release()]);
    await new Promise<void>(r => blocker.close(() => r()));
  });

  it('refuses an invalid range', () => {
    expect(() => new PortAllocator({ host: '127.0.0.1', range: { min: 80, max: 90 } })).toThrow(/invalid RTP port range 80-90/);
  });
});
