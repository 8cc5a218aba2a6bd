import { SipRequest, SipResponse, buildResponse, parseSipMessage } from '../message';
import { RemoteAddress } from '../transport';
import { ClientTransactionLayer, ClientTransactionOutcome } from './clientTransaction';
import { FakeTimers } from './timers';

const udp: RemoteAddress = { transport: 'udp', address: '10.0.0.2', port: 5060 };
const tcp: RemoteAddress = { transport: 'tcp', address: '10.0.0.2', port: 5060, connectionId: 'tcp-1' };

function bye(branch = 'z9hG4bKbye1'): SipRequest {
  return parseSipMessage(
    Buffer.from(
      [
        'BYE sip:src@10.0.0.2:5060 SIP/2.0',
        `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=${branch};rport`,
        'Max-Forwards: 70',
        'From: <sip:srs@10.0.0.1>;tag=ours',
        'To: <sip:src@10.0.0.2>;tag=theirs',
        'Call-ID: call-1',
        'CSeq: 1 BYE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}

function setup(fail?: Error) {
  const timers = new FakeTimers();
  const sent: number[] = [];
  const layer = new ClientTransactionLayer({
    timers,
    send: async () => {
      sent.push(timers.now());
      if (fail) throw fail;
    },
  });
  return { timers, sent, layer };
}

async function outcome(p: Promise<ClientTransactionOutcome>) {
  let o: ClientTransactionOutcome | undefined;
  p.then(x => (o = x));
  await new Promise(r => setImmediate(r));
  return o;
}

describe('non-INVITE client transaction', () => {
  it('over UDP retransmits at T1 doubling up to T2 until Timer F (64*T1), then times out', async () => {
    const s = setup();
    const tx = s.layer.request(bye(), udp);
    s.timers.advance(64 * 500 - 1);
    expect(await outcome(tx.done)).toBeUndefined();
    s.timers.advance(1);
    expect(s.sent).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(await outcome(tx.done)).toEqual({ kind: 'timeout' });
    expect(tx.state).toBe('terminated');
    expect(s.layer.size).toBe(0);
    expect(s.timers.size).toBe(0);
  });

  it('stops on a final response matched by branch and CSeq method; Timer K absorbs retransmitted responses', async () => {
    const s = setup();
    const req = bye();
    const tx = s.layer.request(req, udp);
    s.timers.advance(600);
    const other: SipResponse = buildResponse(bye('z9hG4bKother'), 200, 'OK');
    expect(s.layer.receive(other)).toBe(false);
    const ok = buildResponse(req, 200, 'OK');
    expect(s.layer.receive(ok)).toBe(true);
    const o = await outcome(tx.done);
    expect(o).toMatchObject({ kind: 'response', response: { status: 200 } });
    expect(tx.state).toBe('completed');
    expect(s.layer.receive(ok)).toBe(true); // absorbed
    s.timers.advance(10_000);
    expect(s.sent).toEqual([0, 500]);
    expect(tx.state).toBe('terminated');
    expect(s.layer.receive(ok)).toBe(false);
    // same branch, other method: not this transaction
    const wrongMethod = buildResponse(req, 200, 'OK');
    wrongMethod.headers.set('CSeq', '1 INFO');
    expect(s.layer.receive(wrongMethod)).toBe(false);
  });

  it('a provisional response moves to Proceeding: retransmissions every T2', async () => {
    const s = setup();
    const req = bye();
    const tx = s.layer.request(req, udp);
    s.timers.advance(100);
    s.layer.receive(buildResponse(req, 100, 'Trying'));
    expect(tx.state).toBe('proceeding');
    s.timers.advance(9_000);
    expect(s.sent).toEqual([0, 500, 4500, 8500]);
  });

  it('over TCP sends once; a send failure ends it with transport-error', async () => {
    const s = setup();
    const tx = s.layer.request(bye(), tcp);
    s.timers.advance(40_000);
    expect(s.sent).toEqual([0]);
    expect(await outcome(tx.done)).toEqual({ kind: 'timeout' });
    const f = setup(new Error('connection closed'));
    const t2 = f.layer.request(bye(), tcp);
    expect(await outcome(t2.done)).toMatchObject({ kind: 'transport-error', error: { message: 'connection closed' } });
    expect(f.layer.size).toBe(0);
  });

  it('close() ends pending transactions with `closed`; bad requests are refused with the reason', async () => {
    const s = setup();
    const tx = s.layer.request(bye(), udp);
    s.layer.close();
    expect(await outcome(tx.done)).toEqual({ kind: 'closed' });
    expect(s.timers.size).toBe(0);
    expect(() => s.layer.request(bye('oldstyle'), udp)).toThrow(/no z9hG4bK branch/);
    s.layer.request(bye('z9hG4bKdup'), udp);
    expect(() => s.layer.request(bye('z9hG4bKdup'), udp)).toThrow(/already in use/);
  });
});
