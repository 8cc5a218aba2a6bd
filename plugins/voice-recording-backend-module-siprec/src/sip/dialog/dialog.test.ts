import { inviteFixtures } from '../../__fixtures__/siprecInvites';
import { SipRequest, parseSipMessage } from '../message';
import { FakeTimers } from '../transaction';
import { Dialog, DialogStore, dialogIdOfRequest } from './dialog';
import { SessionTimer, negotiateSessionTimer, parseSessionExpires } from './sessionTimer';

const invite = parseSipMessage(inviteFixtures[0].wire) as SipRequest;

function inDialog(method: string, cseq: number, extra: string[] = []): SipRequest {
  return parseSipMessage(
    Buffer.from(
      [
        `${method} sip:srs@10.0.0.9 SIP/2.0`,
        `Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-${method}${cseq}`,
        'From: "SRC" <sip:src@10.0.0.5>;tag=src-tag-1',
        'To: <sip:srs@10.0.0.9>;tag=ours',
        'Call-ID: 8f7a6e5d-4c3b-2a19@10.0.0.5',
        `CSeq: ${cseq} ${method}`,
        ...extra,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}

function withHeaders(lines: string[]): SipRequest {
  return parseSipMessage(
    Buffer.from(
      ['INVITE sip:srs@h SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@h>;tag=1', 'To: <sip:srs@h>', 'Call-ID: st', 'CSeq: 1 INVITE', ...lines, 'Content-Length: 0', '', ''].join('\r\n'),
    ),
  ) as SipRequest;
}

describe('Dialog', () => {
  it('is created from an INVITE with tags, remote target and CSeq', () => {
    const d = Dialog.fromInvite(invite, 'ours');
    expect(d.id).toEqual({ callId: '8f7a6e5d-4c3b-2a19@10.0.0.5', localTag: 'ours', remoteTag: 'src-tag-1' });
    expect(d.remoteTarget).toBe('sip:src@10.0.0.5:5060');
    expect(d.remoteSeq).toBe(101);
    expect(d.state).toBe('early');
    d.confirm();
    expect(d.state).toBe('confirmed');
  });

  it('finds in-dialog requests in a store by (Call-ID, To tag, From tag)', () => {
    const store = new DialogStore();
    const d = Dialog.fromInvite(invite, 'ours');
    store.add(d);
    expect(store.findForRequest(inDialog('BYE', 102))).toBe(d);
    expect(store.findForRequest(invite)).toBeUndefined(); // no To tag yet
    expect(dialogIdOfRequest(invite)).toBeUndefined();
    store.remove(d);
    expect(store.size).toBe(0);
  });

  it('accepts increasing CSeq, refuses old ones with 500, exempts ACK', () => {
    const d = Dialog.fromInvite(invite, 'ours');
    expect(d.checkRequest(inDialog('ACK', 101))).toEqual({ ok: true });
    expect(d.checkRequest(inDialog('UPDATE', 102))).toEqual({ ok: true });
    expect(d.checkRequest(inDialog('INFO', 102))).toMatchObject({ ok: false, status: 500 });
    expect(d.checkRequest(inDialog('INFO', 50))).toMatchObject({ ok: false, status: 500 });
    expect(d.checkRequest(inDialog('INVITE', 110))).toEqual({ ok: true });
    expect(d.inviteSeq).toBe(110);
    d.terminate();
    expect(d.checkRequest(inDialog('BYE', 111))).toMatchObject({ ok: false, status: 481 });
  });

  it('updates the remote target on re-INVITE and UPDATE but not on INFO', () => {
    const d = Dialog.fromInvite(invite, 'ours');
    d.checkRequest(inDialog('INFO', 102, ['Contact: <sip:info@x>']));
    expect(d.remoteTarget).toBe('sip:src@10.0.0.5:5060');
    d.checkRequest(inDialog('INVITE', 103, ['Contact: <sip:moved@10.0.0.6>']));
    expect(d.remoteTarget).toBe('sip:moved@10.0.0.6');
    d.checkRequest(inDialog('UPDATE', 104, ['Contact: sip:again@10.0.0.7']));
    expect(d.remoteTarget).toBe('sip:again@10.0.0.7');
  });

  it('refuses to build a dialog from an INVITE without Contact', () => {
    expect(() => Dialog.fromInvite(withHeaders([]), 't')).toThrow('Missing Contact header');
  });
});

describe('negotiateSessionTimer (RFC 4028 §9)', () => {
  it.each<[string, string[], object, object]>([
    ['no timer at all', [], {}, { kind: 'none' }],
    ['UAC supports, we impose a default with refresher uac', ['Supported: timer'], { defaultInterval: 1800 }, { kind: 'active', interval: 1800, refresher: 'uac', responseHeaders: { 'Session-Expires': '1800;refresher=uac', Require: 'timer' } }],
    ['UAC asks 1800 refresher uac', ['Supported: timer', 'Session-Expires: 1800;refresher=uac'], {}, { kind: 'active', interval: 1800, refresher: 'uac' }],
    ['UAC asks without refresher: we choose uac', ['k: timer', 'x: 600'], {}, { kind: 'active', interval: 600, refresher: 'uac' }],
    ['UAC asks refresher uas', ['Supported: timer', 'Session-Expires: 600;refresher=uas'], {}, { kind: 'active', refresher: 'uas' }],
    ['proxy inserted SE, UAC without timer: we must refresh, no Require', ['Session-Expires: 600'], {}, { kind: 'active', refresher: 'uas', responseHeaders: { 'Session-Expires': '600;refresher=uas' } }],
    ['too small → 422 with our Min-SE', ['Supported: timer', 'Session-Expires: 60'], { minSE: 120 }, { kind: 'reject', status: 422, headers: { 'Min-SE': '120' } }],
    ['below our Min-SE 300', ['Supported: timer', 'Session-Expires: 200'], { minSE: 300 }, { kind: 'reject' }],
    ['reduced to our maximum, respecting their Min-SE', ['Supported: timer', 'Session-Expires: 7200', 'Min-SE: 1000'], { maxInterval: 900 }, { kind: 'active', interval: 1000 }],
  ])('%s', (_name, headers, policy, expected) => {
    expect(negotiateSessionTimer(withHeaders(headers), policy)).toMatchObject(expected);
  });

  it('parses Session-Expires forms', () => {
    expect(parseSessionExpires('1800 ; refresher = UAS')).toEqual({ interval: 1800, refresher: 'uas' });
    expect(parseSessionExpires('90')).toEqual({ interval: 90, refresher: undefined });
    expect(parseSessionExpires('soon')).toBeUndefined();
  });
});

describe('SessionTimer', () => {
  it('reports expiry at interval - min(32, interval/3) without refresh', () => {
    const timers = new FakeTimers();
    const expired: number[] = [];
    const t = new SessionTimer({ timers, onExpired: () => expired.push(timers.now()) });
    t.refreshed(1800, 'uac');
    timers.advance(1767_999);
    expect(expired).toEqual([]);
    timers.advance(1);
    expect(expired).toEqual([1768_000]);
    expect(t.active).toBe(false);
  });

  it('a refresh pushes the expiry back; short intervals use interval/3', () => {
    const timers = new FakeTimers();
    const expired: number[] = [];
    const t = new SessionTimer({ timers, onExpired: () => expired.push(timers.now()) });
    t.refreshed(90, 'uac');
    timers.advance(50_000);
    t.refreshed(90, 'uac');
    timers.advance(59_999);
    expect(expired).toEqual([]);
    timers.advance(1);
    expect(expired).toEqual([110_000]); // 50 s + (90 - 30) s
  });

  it('asks for a refresh at half the interval when we are the refresher; stop cancels all', () => {
    const timers = new FakeTimers();
    const due: number[] = [];
    const expired: number[] = [];
    const t = new SessionTimer({ timers, onExpired: () => expired.push(1), onRefreshDue: () => due.push(timers.now()) });
    t.apply({ kind: 'active', interval: 600, refresher: 'uas', responseHeaders: {} });
    timers.advance(300_000);
    expect(due).toEqual([300_000]);
    t.stop();
    timers.advance(1_000_000);
    expect(expired).toEqual([]);
    expect(timers.size).toBe(0);
  });
});
