import { RtpPacket } from './packet';
import { DtmfEvent, TelephoneEventDetector, parseTelephoneEvent } from './telephoneEvent';

function te(ts: number, event: number, duration: number, end = false, seq = 0): RtpPacket {
  const payload = Buffer.alloc(4);
  payload[0] = event;
  payload[1] = (end ? 0x80 : 0) | 10;
  payload.writeUInt16BE(duration, 2);
  return { version: 2, padding: false, marker: !end && duration === 160, payloadType: 101, sequenceNumber: seq, timestamp: ts, ssrc: 9, csrcs: [], payload };
}

const brief = (es: DtmfEvent[]) => es.map(e => `${e.type}:${e.digit}:${e.duration}${e.endInferred ? ':inferred' : ''}`);

describe('TelephoneEventDetector', () => {
  it('emits one start and one end for a digit with three end packets', () => {
    const d = new TelephoneEventDetector();
    const packets = [te(1000, 5, 160), te(1000, 5, 320), te(1000, 5, 480), te(1000, 5, 640, true), te(1000, 5, 640, true), te(1000, 5, 640, true)];
    const events = packets.flatMap(p => d.push(p));
    expect(brief(events)).toEqual(['start:5:160', 'end:5:640']);
    expect(events[1].durationMs).toBe(80);
    expect(events[1].timestamp).toBe(1000);
  });

  it('maps events to digits', () => {
    const d = new TelephoneEventDetector();
    const digits = [0, 9, 10, 11, 12, 15, 16, 42].flatMap((ev, i) => d.push(te(i * 10000, ev, 400, true)).filter(e => e.type === 'end').map(e => e.digit));
    expect(digits).toEqual(['0', '9', '*', '#', 'A', 'D', 'flash', 'event-42']);
  });

  it('infers the end when all end packets are lost, and on flush', () => {
    const d = new TelephoneEventDetector();
    const events = [te(0, 1, 160), te(0, 1, 320), te(8000, 2, 160)].flatMap(p => d.push(p));
    expect(brief(events)).toEqual(['start:1:160', 'end:1:320:inferred', 'start:2:160']);
    expect(brief(d.flush())).toEqual(['end:2:160:inferred']);
    expect(d.flush()).toEqual([]);
  });

  it('ignores late end packets of an earlier event and short payloads', () => {
    const d = new TelephoneEventDetector();
    d.push(te(0, 1, 400, true));
    d.push(te(8000, 2, 160));
    expect(d.push(te(0, 1, 400, true))).toEqual([]);
    expect(d.push({ ...te(9000, 3, 1), payload: Buffer.alloc(2) })).toEqual([]);
    expect(parseTelephoneEvent(Buffer.from([11, 0x8a, 0x03, 0x20]))).toEqual({ event: 11, end: true, volume: 10, duration: 800 });
  });
});
