import { SipRequest, SipResponse, buildResponse, parseSipMessage } from '../message';
import { RemoteAddress } from '../transport';
import { ServerTransaction, ServerTransactionLayer } from './serverTransaction';
import { FakeTimers } from './timers';

const udp: RemoteAddress = { transport: 'udp', address: '10.0.0.2', port: 5060 };
const tcp: RemoteAddress = { transport: 'tcp', address: '10.0.0.2', port: 5060, connectionId: 'c1' };

function request(method: string, opts: { branch?: string; cseq?: number; toTag?: string; callId?: string } = {}): SipRequest {
  const branch = opts.branch ?? 'z9hG4bKabc';
  const cseqMethod = method === 'ACK' ? 'ACK' : method;
  return parseSipMessage(
    Buffer.from(
      [
        `${method} sip:srs@10.0.0.1 SIP/2.0`,
        `Via: SIP/2.0/UDP 10.0.0.2:5060;branch=${branch}`,
        'From: <sip:src@10.0.0.2>;tag=from1',
        `To: <sip:srs@10.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
        `Call-ID: ${opts.callId ?? 'call-1'}`,
        `CSeq: ${opts.cseq ?? 1} ${cseqMethod}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}

function setup() {
  const timers = new FakeTimers();
  const sent: Array<{ at: number; response: SipResponse }> = [];
  const requests: ServerTransaction[] = [];
  const acks: Array<{ ack: SipRequest; tx?: ServerTransaction }> = [];
  const ackTimeouts: ServerTransaction[] = [];
  const layer = new ServerTransactionLayer({
    timers,
    send: r => sent.push({ at: timers.now(), response: r }),
    onRequest: tx => requests.push(tx),
    onAck: (ack, _remote, tx) => acks.push({ ack, tx }),
    onAckTimeout: tx => ackTimeouts.push(tx),
  });
  const statuses = () => sent.map(s => s.response.status);
  return { timers, sent, requests, acks, ackTimeouts, layer, statuses };
}

describe('INVITE server transaction', () => {
  it('sends 100 Trying immediately and passes the INVITE to the TU once', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    expect(s.statuses()).toEqual([100]);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0].state).toBe('proceeding');
    // retransmitted INVITE: absorbed, last response (100) re-sent
    s.layer.receive(request('INVITE'), udp);
    expect(s.requests).toHaveLength(1);
    expect(s.statuses()).toEqual([100, 100]);
    s.requests[0].reply(180, 'Ringing');
    s.layer.receive(request('INVITE'), udp);
    expect(s.statuses()).toEqual([100, 100, 180, 180]);
  });

  it('retransmits a 2xx over UDP with T1 doubling up to T2 until the ACK', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    const tx = s.requests[0];
    tx.reply(200, 'OK');
    expect(tx.state).toBe('accepted');
    s.timers.advance(20_000);
    const times = s.sent.filter(x => x.response.status === 200).map(x => x.at);
    // initial at 0, then +500, +1000, +2000, +4000, +4000, +4000 ...
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500]);
    const ack = request('ACK', { branch: 'z9hG4bKnewbranch', toTag: 'x' });
    s.layer.receive(ack, udp);
    expect(s.acks).toHaveLength(1);
    expect(s.acks[0].tx).toBe(tx);
    expect(tx.acked).toBe(true);
    // a retransmitted ACK is absorbed, not passed on again
    s.layer.receive(ack, udp);
    expect(s.acks).toHaveLength(1);
    s.timers.advance(10_000);
    expect(s.sent.filter(x => x.response.status === 200)).toHaveLength(8);
    expect(s.ackTimeouts).toEqual([]);
    s.timers.advance(2_000); // Timer L (64*T1 after the 2xx) ends the transaction
    expect(tx.state).toBe('terminated');
    expect(s.layer.size).toBe(0);
  });

  it('gives up after 64*T1 without ACK and reports the ACK timeout', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    const tx = s.requests[0];
    tx.reply(200, 'OK');
    s.timers.advance(31_999);
    expect(s.ackTimeouts).toEqual([]);
    s.timers.advance(1);
    expect(s.ackTimeouts).toEqual([tx]);
    expect(tx.state).toBe('terminated');
    const count = s.sent.length;
    s.timers.advance(60_000);
    expect(s.sent.length).toBe(count);
    expect(s.timers.size).toBe(0);
  });

  it('re-sends the 2xx when the INVITE is retransmitted in Accepted', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    s.requests[0].reply(200, 'OK');
    s.layer.receive(request('INVITE'), udp);
    expect(s.statuses()).toEqual([100, 200, 200]);
    expect(s.requests).toHaveLength(1);
  });

  it('does not retransmit over TCP but still reports a missing ACK', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), tcp);
    s.requests[0].reply(200, 'OK');
    s.timers.advance(31_000);
    expect(s.statuses()).toEqual([100, 200]);
    s.timers.advance(1_000);
    expect(s.ackTimeouts).toHaveLength(1);
  });

  it('non-2xx final: Timer G retransmits, ACK (same branch) confirms, Timer I ends', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    const tx = s.requests[0];
    tx.reply(488, 'Not Acceptable Here');
    expect(tx.state).toBe('completed');
    s.timers.advance(1600);
    expect(s.statuses()).toEqual([100, 488, 488, 488]); // at 0, 500, 1500
    s.layer.receive(request('ACK'), udp);
    expect(tx.state).toBe('confirmed');
    expect(s.acks).toHaveLength(0); // non-2xx ACK stays in the transaction
    s.timers.advance(10_000);
    expect(s.statuses()).toHaveLength(4);
    expect(tx.state).toBe('terminated');
    expect(s.ackTimeouts).toHaveLength(0);
  });

  it('non-2xx final without ACK: Timer H reports the timeout', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    s.requests[0].reply(486, 'Busy Here');
    s.timers.advance(64 * 500);
    expect(s.ackTimeouts).toHaveLength(1);
    const n488 = s.statuses().filter(x => x === 486).length;
    // 0, .5, 1.5, 3.5, 7.5, 11.5, ... 31.5 → 1 + 10 retransmissions
    expect(n488).toBe(11);
  });

  it('honours custom T1/T2', () => {
    const timers = new FakeTimers();
    const at: number[] = [];
    const layer = new ServerTransactionLayer({
      timers,
      timerConfig: { t1: 100, t2: 300 },
      send: r => r.status === 200 && at.push(timers.now()),
      onRequest: tx => tx.reply(200, 'OK'),
    });
    layer.receive(request('INVITE'), udp);
    timers.advance(1500);
    expect(at).toEqual([0, 100, 300, 600, 900, 1200, 1500]);
  });

  it('refuses responses in the wrong state', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    s.requests[0].reply(486, 'Busy Here');
    expect(() => s.requests[0].reply(200, 'OK')).toThrow(/state completed/);
  });

  it('passes a stray ACK to the TU', () => {
    const s = setup();
    s.layer.receive(request('ACK', { branch: 'z9hG4bKzzz', cseq: 9 }), udp);
    expect(s.acks).toHaveLength(1);
    expect(s.acks[0].tx).toBeUndefined();
  });

  it('finds the INVITE transaction for a CANCEL', () => {
    const s = setup();
    s.layer.receive(request('INVITE'), udp);
    const cancel = request('CANCEL');
    expect(s.layer.findInviteForCancel(cancel)).toBe(s.requests[0]);
    s.layer.receive(cancel, udp);
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1].method).toBe('CANCEL');
  });
});

describe('non-INVITE server transaction', () => {
  it('Trying absorbs, Proceeding and Completed re-send, Timer J ends', () => {
    const s = setup();
    s.layer.receive(request('OPTIONS'), udp);
    const tx = s.requests[0];
    expect(tx.state).toBe('trying');
    s.layer.receive(request('OPTIONS'), udp);
    expect(s.statuses()).toEqual([]);
    tx.reply(183, 'Progress');
    expect(tx.state).toBe('proceeding');
    s.layer.receive(request('OPTIONS'), udp);
    expect(s.statuses()).toEqual([183, 183]);
    tx.reply(200, 'OK');
    expect(tx.state).toBe('completed');
    s.layer.receive(request('OPTIONS'), udp);
    expect(s.statuses()).toEqual([183, 183, 200, 200]);
    expect(s.requests).toHaveLength(1);
    s.timers.advance(64 * 500 - 1);
    expect(tx.state).toBe('completed');
    s.timers.advance(1);
    expect(tx.state).toBe('terminated');
    // after Timer J the same request is a new transaction
    s.layer.receive(request('OPTIONS'), udp);
    expect(s.requests).toHaveLength(2);
  });

  it('over TCP terminates at once after the final response', () => {
    const s = setup();
    s.layer.receive(request('BYE', { toTag: 't' }), tcp);
    s.requests[0].reply(200, 'OK');
    s.timers.advance(0);
    expect(s.requests[0].state).toBe('terminated');
    expect(s.layer.size).toBe(0);
  });

  it('separates transactions by branch, method and sent-by', () => {
    const s = setup();
    s.layer.receive(request('OPTIONS', { branch: 'z9hG4bK1' }), udp);
    s.layer.receive(request('OPTIONS', { branch: 'z9hG4bK2' }), udp);
    s.layer.receive(request('INFO', { branch: 'z9hG4bK1' }), udp);
    expect(s.requests).toHaveLength(3);
  });
});

describe('RFC 2543 fallback matching (no magic cookie)', () => {
  it('matches retransmissions by Request-URI, tags, Call-ID, CSeq and top Via', () => {
    const s = setup();
    s.layer.receive(request('INVITE', { branch: 'oldstyle1' }), udp);
    s.layer.receive(request('INVITE', { branch: 'oldstyle1' }), udp);
    expect(s.requests).toHaveLength(1);
    s.requests[0].reply(404, 'Not Found');
    s.layer.receive(request('ACK', { branch: 'oldstyle1', toTag: 'x' }), udp);
    expect(s.requests[0].state).toBe('confirmed');
    s.layer.receive(request('INVITE', { branch: 'oldstyle1', cseq: 2 }), udp);
    expect(s.requests).toHaveLength(2);
  });

  it('reports requests whose Via cannot be read', () => {
    const bad: Array<string> = [];
    const layer = new ServerTransactionLayer({ timers: new FakeTimers(), send: () => {}, onRequest: () => {}, onUnmatchable: (_r, _a, e) => bad.push(e.reason) });
    const req = request('OPTIONS');
    req.headers.set('Via', 'garbage');
    layer.receive(req, udp);
    expect(bad).toEqual(['Bad Via header']);
  });
});

it('buildResponse via tx.reply keeps the To tag stable across 180 and 200', () => {
  const s = setup();
  s.layer.receive(request('INVITE'), udp);
  s.requests[0].reply(180, 'Ringing');
  s.requests[0].reply(200, 'OK');
  const tags = s.sent.slice(1).map(x => x.response.headers.get('To'));
  expect(tags[0]).toBe(tags[1]);
  expect(buildResponse(request('INVITE'), 200, 'OK').headers.get('To')).toBe(tags[0]);
});
