import { JitterBuffer, JitterOutput, unwrap } from './jitterBuffer';
import { RtpPacket } from './packet';

const pkt = (seq: number, ts: number, ssrc = 1): RtpPacket => ({
  version: 2, padding: false, marker: false, payloadType: 0,
  sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc, csrcs: [], payload: Buffer.alloc(160),
});

function run(jb: JitterBuffer, packets: RtpPacket[]): JitterOutput[] {
  return [...packets.flatMap(p => jb.push(p)), ...jb.flush()];
}
const packetsOf = (out: JitterOutput[]) => out.filter((o): o is Extract<JitterOutput, { kind: 'packet' }> => o.kind === 'packet');
const gapsOf = (out: JitterOutput[]) => out.filter((o): o is Extract<JitterOutput, { kind: 'gap' }> => o.kind === 'gap');

describe('unwrap', () => {
  it.each([
    [5, 65530, 0x10000, 65541],
    [65530, 65541, 0x10000, 65530],
    [100, 100, 0x10000, 100],
    [10, 0xfffffff0, 0x100000000, 0x10000000a],
  ])('unwrap(%d, ref %d)', (v, ref, mod, expected) => expect(unwrap(v, ref, mod)).toBe(expected));
});

describe('JitterBuffer', () => {
  it('releases in-order packets with timeline positions', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 4 });
    const out = run(jb, [0, 1, 2, 3, 4, 5].map(i => pkt(1000 + i, 5000 + i * 160)));
    expect(packetsOf(out).map(p => [p.extSeq, p.position])).toEqual([0, 1, 2, 3, 4, 5].map(i => [1000 + i, i * 160]));
    expect(out[0]).toMatchObject({ kind: 'source', reason: 'first', position: 0 });
    expect(jb.stats).toMatchObject({ received: 6, released: 6, lost: 0 });
  });

  it('reorders within the window and drops duplicates', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 4 });
    const order = [0, 2, 1, 3, 3, 5, 4, 6, 2, 7, 8, 9, 10];
    const out = run(jb, order.map(i => pkt(i, i * 160)));
    expect(packetsOf(out).map(p => p.extSeq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(jb.stats.duplicates).toBe(2);
    expect(jb.stats.reordered).toBe(2);
    expect(gapsOf(out)).toEqual([]);
  });

  it('places an earliest packet that arrives second at the start of the timeline', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 4 });
    const out = run(jb, [1, 0, 2, 3, 4, 5].map(i => pkt(i, 800 + i * 160)));
    expect(packetsOf(out).map(p => [p.extSeq, p.position])).toEqual([0, 1, 2, 3, 4, 5].map(i => [i, i * 160]));
  });

  it('declares loss once the window is exceeded, and drops packets arriving after that', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 3 });
    const seqs = [0, 1, 2, 5, 6, 7, 8, 9, 3];
    const out = run(jb, seqs.map(i => pkt(i, i * 160)));
    expect(gapsOf(out)).toEqual([expect.objectContaining({ fromExtSeq: 3, lostPackets: 2, position: 480 })]);
    expect(packetsOf(out).map(p => p.extSeq)).toEqual([0, 1, 2, 5, 6, 7, 8, 9]);
    expect(packetsOf(out).find(p => p.extSeq === 5)?.position).toBe(800);
    expect(jb.stats).toMatchObject({ lost: 2, late: 1 });
  });

  it('handles sequence and timestamp wrap-around', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 4 });
    const startTs = 0xffffffff - 320;
    const out = run(jb, [0, 1, 3, 2, 4, 5, 6].map(i => pkt(65533 + i, startTs + i * 160)));
    const p = packetsOf(out);
    expect(p.map(x => x.extSeq)).toEqual([65533, 65534, 65535, 65536, 65537, 65538, 65539]);
    expect(p.map(x => x.position)).toEqual([0, 1, 2, 3, 4, 5, 6].map(i => i * 160));
    expect(gapsOf(out)).toEqual([]);
  });

  it('keeps timestamp gaps (pause/DTX) on the timeline without counting loss', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 2 });
    const out = run(jb, [pkt(0, 0), pkt(1, 160), pkt(2, 160 + 8000 * 60), pkt(3, 320 + 8000 * 60)]);
    expect(packetsOf(out).map(p => p.position)).toEqual([0, 160, 480160, 480320]);
    expect(jb.stats.lost).toBe(0);
  });

  it('continues the timeline across an SSRC change and ignores stragglers of the old SSRC', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 2 });
    const first = [0, 1, 2].map(i => pkt(100 + i, 1000 + i * 160, 1));
    const second = [0, 1, 2].map(i => pkt(40000 + i, 999999 + i * 160, 2));
    const out = run(jb, [...first, ...second, pkt(103, 1480, 1)]);
    const p = packetsOf(out);
    expect(p.map(x => [x.ssrc, x.sourceIndex, x.position])).toEqual([
      [1, 0, 0], [1, 0, 160], [1, 0, 320], [2, 1, 480], [2, 1, 640], [2, 1, 800],
    ]);
    expect(out.filter(o => o.kind === 'source').map(o => (o as { reason: string }).reason)).toEqual(['first', 'ssrc-change']);
    expect(jb.stats.late).toBe(1);
    expect(jb.stats.sources).toBe(2);
  });

  it('restarts the source on a huge sequence jump with the same SSRC', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 2 });
    const out = run(jb, [pkt(0, 0), pkt(1, 160), pkt(20000, 77777), pkt(20001, 77937)]);
    expect(packetsOf(out).map(p => [p.sourceIndex, p.position])).toEqual([[0, 0], [0, 160], [1, 320], [1, 480]]);
    expect(jb.stats.lost).toBe(0);
  });

  it('survives a long random reorder/loss/duplicate sequence deterministically', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const jb = new JitterBuffer({ clockRate: 8000, window: 8 });
    const sent: RtpPacket[] = [];
    for (let i = 0; i < 100_000; i++) {
      if (rnd() < 0.02) continue; // lost
      sent.push(pkt(60000 + i, 0xfff00000 + i * 160));
      if (rnd() < 0.01) sent.push(pkt(60000 + i, 0xfff00000 + i * 160)); // duplicate
    }
    for (let i = 0; i + 3 < sent.length; i += 7) [sent[i], sent[i + 3]] = [sent[i + 3], sent[i]];
    const out = run(jb, sent);
    const p = packetsOf(out);
    let bad = -1;
    for (let i = 1; i < p.length && bad < 0; i++) {
      const ordered = p[i].extSeq > p[i - 1].extSeq;
      const placed = p[i].position - p[0].position === (p[i].extSeq - p[0].extSeq) * 160;
      if (!ordered || !placed) bad = i;
    }
    expect(bad).toBe(-1);
    const lost = gapsOf(out).reduce((a, g) => a + g.lostPackets, 0);
    expect(p.length + lost).toBe(p[p.length - 1].extSeq - p[0].extSeq + 1);
  });
});

describe('JitterBuffer.pushInOrder (the receiver fast path)', () => {
  /** a stream with reordering, duplicates, loss, sequence and timestamp wrap, SSRC changes and a restart */
  function messyStream(seed: number): RtpPacket[] {
    let x = seed;
    const rnd = () => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x / 0x100000000;
    };
    const out: RtpPacket[] = [];
    let ssrc = 7;
    let seq = 65500;
    let ts = 0xffffff00;
    for (let i = 0; i < 3000; i++) {
      if (rnd() < 0.002) ssrc++; // transfer: new source
      if (rnd() < 0.001) seq += 5000; // restart far away
      const p = pkt(seq, ts, ssrc);
      seq++;
      ts += 160;
      const r = rnd();
      if (r < 0.03) continue; // lost
      if (r < 0.06 && out.length) out.splice(out.length - 1, 0, p); // swapped with the previous one
      else out.push(p);
      if (rnd() < 0.02) out.push(p); // duplicate
      if (rnd() < 0.01 && out.length > 20) out.push(out[out.length - 20]); // very late
    }
    return out;
  }

  it.each([1, 2, 3, 4, 5])('accounts and positions every packet exactly as push does (stream %d)', seed => {
    const packets = messyStream(seed);
    const slow = new JitterBuffer({ clockRate: 8000, window: 8 });
    const fast = new JitterBuffer({ clockRate: 8000, window: 8 });
    const slowOut = run(slow, packets);
    const fastOut: JitterOutput[] = [];
    let taken = 0;
    for (const p of packets) {
      const position = fast.pushInOrder(p.ssrc, p.sequenceNumber, p.timestamp);
      if (Number.isNaN(position)) {
        fastOut.push(...fast.push(p));
      } else {
        taken++;
        fastOut.push({ kind: 'packet', packet: p, ssrc: p.ssrc, sourceIndex: -1, extSeq: -1, position });
      }
    }
    fastOut.push(...fast.flush());
    expect(taken).toBeGreaterThan(packets.length * 0.5); // most packets take the fast path, even in this stream
    expect(fast.stats).toEqual(slow.stats);
    const summary = (out: JitterOutput[]) => out.map(o => (o.kind === 'packet' ? `p${o.packet.sequenceNumber}@${o.position}` : `${o.kind}@${o.position}`));
    expect(summary(fastOut)).toEqual(summary(slowOut));
    expect(fast.endPosition).toBe(slow.endPosition);
  });

  it('declines what it cannot take without changing anything', () => {
    const jb = new JitterBuffer({ clockRate: 8000, window: 4 });
    expect(jb.pushInOrder(1, 100, 0)).toBeNaN(); // no source yet
    // the first packets are held until the window is full, then released
    for (let i = 0; i < 4; i++) jb.push(pkt(100 + i, i * 160));
    expect(jb.stats).toMatchObject({ received: 4, released: 0 });
    expect(jb.pushInOrder(1, 104, 640)).toBeNaN(); // nothing released yet
    jb.push(pkt(104, 640));
    expect(jb.pushInOrder(2, 105, 800)).toBeNaN(); // another SSRC
    expect(jb.pushInOrder(1, 106, 960)).toBeNaN(); // a gap
    expect(jb.pushInOrder(1, 104, 640)).toBeNaN(); // a duplicate
    expect(jb.stats).toMatchObject({ received: 5, released: 5 });
    expect(jb.pushInOrder(1, 105, 800)).toBe(800);
    expect(jb.stats).toMatchObject({ received: 6, released: 6 });
  });
});
