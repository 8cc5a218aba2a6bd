/*
 * A test Session Recording Client: sends real SIPREC requests over UDP, TCP or TLS and
 * real RTP over loopback. Used by the integration tests; not part of the recorder.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { parse as parseSdp } from 'sdp-transform';
import {
  SipHeaders,
  SipRequest,
  SipResponse,
  buildResponse,
  parseNameAddr,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  splitHeaderList,
} from '../sip/message';
import { StreamFramer } from '../sip/transport';
import { serializeRtpPacket } from '../rtp';

const rand = (n = 6) => randomBytes(n).toString('hex');

export interface SrcCall {
  callId: string;
  fromTag: string;
  toTag?: string;
  cseq: number;
  invite: SipRequest;
  response?: SipResponse;
  /** RTP ports of the recorder per answered m= line (0 = rejected). */
  mediaPorts: number[];
  /** a=label per answered m= line */
  labels: string[];
  routeUri: string;
  /**
   * The dialog's route set and remote target (RFC 3261 12.1.2) when the 2xx came through
   * a proxy that record-routes (e.g. Kamailio in front of recorders): in-dialog requests
   * go to the recorder's Contact with these Route headers, through the proxy.
   */
  routeSet?: string[];
  remoteTarget?: string;
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  contentType?: string;
}

/** TLS settings of the test SRC. */
export interface SrcTlsOptions {
  /** PEM CA certificate(s) (or the recorder's self-signed certificate) to trust. */
  ca?: string | Buffer;
  /** Client certificate and key (for a recorder that asks for one). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Use SIPS URIs (Request-URI, Contact) instead of `sip:...;transport=tls`. */
  sips?: boolean;
  /** Default true: refuse a recorder certificate that does not verify. */
  rejectUnauthorized?: boolean;
  maxVersion?: tls.SecureVersion;
}

/** A request the recorder sent to the test SRC (a BYE of its own). */
export interface SrcReceivedRequest {
  request: SipRequest;
  /** Date.now() at arrival */
  at: number;
  /** the status the SRC answered with (undefined: not answered) */
  answered?: number;
}

/** A SIPREC client speaking to one recorder over UDP, TCP or TLS. */
export class SrcClient {
  private udp?: dgram.Socket;
  private tcp?: net.Socket;
  private localPort = 0;
  private readonly waiters = new Map<string, { resolve: (r: SipResponse) => void; provisional?: (r: SipResponse) => void }>();
  /** every response received, in order */
  readonly responses: SipResponse[] = [];
  /** every request received from the recorder (retransmissions included), in order */
  readonly requests: SrcReceivedRequest[] = [];
  /**
   * How the SRC answers the recorder's requests: a status (200 by default), or
   * undefined to stay silent (the recorder then retransmits over UDP).
   */
  answerRequest: (request: SipRequest) => number | undefined = () => 200;
  private readonly requestWaiters: Array<{ match: (r: SipRequest) => boolean; resolve: (r: SipRequest) => void }> = [];

  constructor(readonly server: { host: string; port: number; transport: 'udp' | 'tcp' | 'tls'; tls?: SrcTlsOptions }) {}

  async start(): Promise<void> {
    if (this.server.transport === 'udp') {
      const s = dgram.createSocket('udp4');
      await new Promise<void>(r => s.bind(0, '127.0.0.1', () => r()));
      s.on('message', (buf, rinfo) => this.onBytes(buf, rinfo));
      this.udp = s;
      this.localPort = s.address().port;
    } else {
      const framer = new StreamFramer({
        maxMessageSize: 65535,
        onMessage: m => (m.kind === 'response' ? this.onResponse(m) : this.onRequest(m)),
        onKeepAlive: () => undefined,
        onError: () => undefined,
      });
      const t = this.server.tls ?? {};
      const sock =
        this.server.transport === 'tls'
          ? tls.connect({
              host: this.server.host,
              port: this.server.port,
              ca: t.ca,
              cert: t.cert,
              key: t.key,
              rejectUnauthorized: t.rejectUnauthorized ?? true,
              maxVersion: t.maxVersion,
            })
          : net.connect({ host: this.server.host, port: this.server.port });
      await new Promise<void>((resolve, reject) => {
        sock.once(this.server.transport === 'tls' ? 'secureConnect' : 'connect', () => resolve());
        sock.once('error', reject);
      });
      sock.on('data', (d: Buffer) => framer.push(d));
      this.tcp = sock;
      this.localPort = sock.localPort ?? 0;
    }
  }

  async close(): Promise<void> {
    if (this.udp) await new Promise<void>(r => this.udp!.close(() => r()));
    this.tcp?.destroy();
  }

  private onBytes(buf: Buffer, rinfo: dgram.RemoteInfo) {
    try {
      const m = parseSipMessage(buf);
      if (m.kind === 'response') this.onResponse(m);
      else this.onRequest(m, rinfo);
    } catch {
      // ignored
    }
  }

  private onRequest(request: SipRequest, rinfo?: dgram.RemoteInfo) {
    const status = this.answerRequest(request);
    this.requests.push({ request, at: Date.now(), answered: status });
    for (const w of [...this.requestWaiters]) {
      if (w.match(request)) {
        this.requestWaiters.splice(this.requestWaiters.indexOf(w), 1);
        w.resolve(request);
      }
    }
    if (status === undefined) return;
    const bytes = serializeSipMessage(buildResponse(request, status, status === 200 ? 'OK' : 'Error'));
    if (this.udp && rinfo) this.udp.send(bytes, rinfo.port, rinfo.address);
    else if (this.tcp && !this.tcp.destroyed) this.tcp.write(bytes);
  }

  /** Resolves with the first request from the recorder (already received or to come) that matches. */
  waitForRequest(match: (r: SipRequest) => boolean, timeoutMs = 15_000): Promise<SipRequest> {
    const seen = this.requests.find(r => match(r.request));
    if (seen) return Promise.resolve(seen.request);
    return new Promise<SipRequest>((resolve, reject) => {
      const w: { match: (r: SipRequest) => boolean; resolve: (r: SipRequest) => void; timer?: NodeJS.Timeout } = { match, resolve };
      w.resolve = (r: SipRequest) => {
        clearTimeout(w.timer);
        resolve(r);
      };
      w.timer = setTimeout(() => {
        this.requestWaiters.splice(this.requestWaiters.indexOf(w), 1);
        reject(new Error(`no matching request from the recorder within ${timeoutMs} ms`));
      }, timeoutMs);
      this.requestWaiters.push(w);
    });
  }

  private onResponse(r: SipResponse) {
    this.responses.push(r);
    let branch = '';
    try {
      branch = `${parseVia(r.headers.getAll('Via')[0] ?? '').branch ?? ''}|${(r.headers.get('CSeq') ?? '').trim().split(/\s+/)[1] ?? ''}`;
    } catch {
      return;
    }
    const w = this.waiters.get(branch);
    if (!w) return;
    if (r.status < 200) {
      w.provisional?.(r);
      return;
    }
    this.waiters.delete(branch);
    w.resolve(r);
  }

  /** Sends raw bytes to the recorder (fuzzing, malformed messages). */
  sendRaw(bytes: Buffer): Promise<void> {
    if (this.udp) {
      return new Promise((res, rej) => this.udp!.send(bytes, this.server.port, this.server.host, e => (e ? rej(e) : res())));
    }
    return new Promise((res, rej) => this.tcp!.write(bytes, e => (e ? rej(e) : res())));
  }

  /** The stream socket (TCP or TLS), for tests that look at the connection. */
  get socket(): net.Socket | undefined {
    return this.tcp;
  }

  private get sips(): boolean {
    return this.server.transport === 'tls' && !!this.server.tls?.sips;
  }

  private via(branch: string): string {
    return `SIP/2.0/${this.server.transport.toUpperCase()} 127.0.0.1:${this.localPort};branch=${branch};rport`;
  }

  buildRequest(
    method: string,
    call: Pick<SrcCall, 'callId' | 'fromTag' | 'toTag' | 'routeUri' | 'routeSet' | 'remoteTarget'>,
    cseq: number,
    options: SendOptions & { branch?: string; cseqMethod?: string } = {},
  ): SipRequest {
    const headers = new SipHeaders();
    headers.add('Via', this.via(options.branch ?? `z9hG4bK${rand()}`));
    headers.add('Max-Forwards', '70');
    headers.add('From', `<sip:src@127.0.0.1>;tag=${call.fromTag}`);
    headers.add('To', `<sip:srs@${this.server.host}>${call.toTag ? `;tag=${call.toTag}` : ''}`);
    headers.add('Call-ID', call.callId);
    headers.add('CSeq', `${cseq} ${options.cseqMethod ?? method}`);
    headers.add(
      'Contact',
      this.sips ? `<sips:src@127.0.0.1:${this.localPort}>;+sip.src` : `<sip:src@127.0.0.1:${this.localPort};transport=${this.server.transport}>;+sip.src`,
    );
    // in a dialog set up through a record-routing proxy: along the route set (ACK and
    // CANCEL of the INVITE itself follow the INVITE, before the dialog has a To tag)
    const dialogRoute = call.toTag && call.remoteTarget && !options.branch;
    if (dialogRoute) for (const r of call.routeSet ?? []) headers.add('Route', r);
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.add(k, v);
    if (options.contentType) headers.add('Content-Type', options.contentType);
    return {
      kind: 'request',
      method,
      uri: dialogRoute ? call.remoteTarget! : call.routeUri,
      version: 'SIP/2.0',
      headers,
      body: options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body),
    };
  }

  /** Sends a request and resolves with its final response (UDP: retransmitted until answered). */
  async send(req: SipRequest, onProvisional?: (r: SipResponse) => void, timeoutMs = 10_000): Promise<SipResponse> {
    const branch = `${parseVia(req.headers.getAll('Via')[0]).branch!}|${req.method}`;
    const bytes = serializeSipMessage(req);
    let gotProvisional = false;
    const done = new Promise<SipResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(branch);
        reject(new Error(`no final response to ${req.method} ${req.headers.get('Call-ID')} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(branch, {
        resolve: r => {
          clearTimeout(timer);
          resolve(r);
        },
        provisional: r => {
          gotProvisional = true;
          onProvisional?.(r);
        },
      });
    });
    await this.sendRaw(bytes);
    if (this.udp && req.method !== 'ACK') {
      const retransmit = async () => {
        for (let k = 0; this.waiters.has(branch) && !gotProvisional; k++) {
          const wait = Math.min(500 * 2 ** k, 4000);
          await new Promise(r => setTimeout(r, wait));
          if (this.waiters.has(branch) && !gotProvisional) await this.sendRaw(bytes).catch(() => undefined);
        }
      };
      retransmit().catch(() => undefined);
    }
    return done;
  }

  /**
   * Starts a SIPREC INVITE. `response` resolves with the final response (2xx are
   * ACKed); `cancel()` sends a CANCEL for it.
   */
  startInvite(options: {
    sdp: string;
    metadata?: string;
    headers?: Record<string, string>;
    siprec?: boolean;
    callId?: string;
  }): { call: SrcCall; response: Promise<SipResponse>; provisional: Promise<SipResponse>; cancel: () => Promise<SipResponse> } {
    const call: SrcCall = {
      callId: options.callId ?? `${rand(8)}@127.0.0.1`,
      fromTag: rand(),
      cseq: 1,
      invite: undefined as unknown as SipRequest,
      mediaPorts: [],
      labels: [],
      routeUri: this.sips
        ? `sips:srs@${this.server.host}:${this.server.port}`
        : `sip:srs@${this.server.host}:${this.server.port};transport=${this.server.transport}`,
    };
    let body: string = options.sdp;
    let contentType = 'application/sdp';
    if (options.metadata !== undefined) {
      const boundary = `b${rand(4)}`;
      body = [
        `--${boundary}`,
        'Content-Type: application/sdp',
        '',
        options.sdp.replace(/\r\n$/, ''),
        `--${boundary}`,
        'Content-Type: application/rs-metadata+xml',
        'Content-Disposition: recording-session',
        '',
        options.metadata.replace(/\r\n$/, ''),
        `--${boundary}--`,
        '',
      ].join('\r\n');
      contentType = `multipart/mixed;boundary="${boundary}"`;
    }
    const headers: Record<string, string> = {
      ...(options.siprec === false ? {} : { Require: 'siprec' }),
      Supported: 'timer',
      Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO',
      ...options.headers,
    };
    const branch = `z9hG4bK${rand()}`;
    const invite = this.buildRequest('INVITE', call, call.cseq, { headers, body, contentType, branch });
    if (options.siprec === false) {
      invite.headers.set('Contact', `<sip:src@127.0.0.1:${this.localPort}>`);
    }
    call.invite = invite;
    let provisionalResolve!: (r: SipResponse) => void;
    const provisional = new Promise<SipResponse>(r => (provisionalResolve = r));
    const response = this.send(invite, r => provisionalResolve(r)).then(async r => {
      call.response = r;
      if (r.status >= 200 && r.status < 300) {
        call.toTag = parseNameAddr(r.headers.get('To') ?? '').params.get('tag');
        const recordRoute = r.headers.getLines('Record-Route').flatMap(l => splitHeaderList(l)).map(v => v.trim());
        if (recordRoute.length) {
          // the UAC's route set: the Record-Route entries in reverse order
          call.routeSet = recordRoute.reverse();
          call.remoteTarget = parseNameAddr(r.headers.get('Contact') ?? '').uri;
        }
        this.readAnswer(call, r);
        await this.sendRaw(serializeSipMessage(this.buildRequest('ACK', call, call.cseq)));
      } else {
        // non-2xx ACK: same branch, same To (with the response's tag)
        const ack = this.buildRequest('ACK', call, call.cseq, { branch });
        ack.headers.set('To', r.headers.get('To') ?? '');
        await this.sendRaw(serializeSipMessage(ack));
      }
      return r;
    });
    const cancel = () => this.send(this.buildRequest('CANCEL', call, call.cseq, { branch, headers: {} }));
    return { call, response, provisional, cancel };
  }

  async invite(options: Parameters<SrcClient['startInvite']>[0]): Promise<SrcCall> {
    const s = this.startInvite(options);
    await s.response;
    return s.call;
  }

  private readAnswer(call: SrcCall, r: SipResponse) {
    if (!r.body.length) return;
    const sdp = parseSdp(r.body.toString('utf8'));
    call.mediaPorts = sdp.media.map(m => m.port);
    call.labels = sdp.media.map(m => String(m.label ?? ''));
  }

  /** re-INVITE (or UPDATE) in the call's dialog. */
  async reinvite(call: SrcCall, options: { sdp?: string; metadata?: string; method?: 'INVITE' | 'UPDATE'; headers?: Record<string, string> }): Promise<SipResponse> {
    const method = options.method ?? 'INVITE';
    call.cseq++;
    let body: string | undefined;
    let contentType: string | undefined;
    if (options.sdp && options.metadata) {
      const boundary = `b${rand(4)}`;
      body = [
        `--${boundary}`,
        'Content-Type: application/sdp',
        '',
        options.sdp.replace(/\r\n$/, ''),
        `--${boundary}`,
        'Content-Type: application/rs-metadata+xml',
        'Content-Disposition: recording-session',
        '',
        options.metadata.replace(/\r\n$/, ''),
        `--${boundary}--`,
        '',
      ].join('\r\n');
      contentType = `multipart/mixed;boundary=${boundary}`;
    } else if (options.sdp) {
      body = options.sdp;
      contentType = 'application/sdp';
    } else if (options.metadata) {
      body = options.metadata;
      contentType = 'application/rs-metadata+xml';
    }
    const req = this.buildRequest(method, call, call.cseq, { body, contentType, headers: options.headers });
    const r = await this.send(req);
    if (method === 'INVITE' && r.status >= 200 && r.status < 300) {
      this.readAnswer(call, r);
      await this.sendRaw(serializeSipMessage(this.buildRequest('ACK', call, call.cseq)));
    }
    return r;
  }

  async bye(call: SrcCall): Promise<SipResponse> {
    call.cseq++;
    return this.send(this.buildRequest('BYE', call, call.cseq));
  }

  async options(): Promise<SipResponse> {
    return this.send(
      this.buildRequest('OPTIONS', { callId: `${rand(8)}@127.0.0.1`, fromTag: rand(), routeUri: `sip:srs@${this.server.host}` }, 1),
    );
  }

  async request(method: string, call?: SrcCall, options: SendOptions = {}): Promise<SipResponse> {
    const c = call ?? { callId: `${rand(8)}@127.0.0.1`, fromTag: rand(), routeUri: `sip:srs@${this.server.host}` };
    const seq = call ? ++call.cseq : 1;
    return this.send(this.buildRequest(method, c, seq, options));
  }
}

/* ------------------------------------------------------------------ RTP */

export interface RtpStreamOptions {
  host?: string;
  port: number;
  /** payload bytes (G.711), cut in `packetSamples` packets */
  payload: Uint8Array;
  payloadType: number;
  ssrc?: number;
  seqStart?: number;
  tsStart?: number;
  packetSamples?: number;
  /**
   * payload bytes per packet, default `packetSamples` (one byte a sample, G.711); e.g. 20
   * for 20 ms of G.729. Timestamps still advance by `packetSamples`.
   */
  bytesPerPacket?: number;
  /** pace packets at real time (default true) */
  realtime?: boolean;
  /** indexes of packets to drop */
  drop?: Set<number>;
  /** indexes of packets sent twice */
  duplicate?: Set<number>;
  /** indexes i where packets i and i+1 are swapped */
  swap?: Set<number>;
  /** from this packet index on, a new SSRC (sequence and timestamp restart) */
  ssrcChangeAt?: number;
  /** abort sending (simulates a dead SRC) */
  signal?: AbortSignal;
}

export interface RtpStreamResult {
  sent: number;
  packets: number;
}

/** Streams G.711 audio as RTP packets (20 ms by default) from a fresh socket. */
export async function streamRtp(o: RtpStreamOptions): Promise<RtpStreamResult> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>(r => sock.bind(0, '127.0.0.1', () => r()));
  const per = o.packetSamples ?? 160;
  const bytes = o.bytesPerPacket ?? per;
  const count = Math.ceil(o.payload.length / bytes);
  let ssrc = o.ssrc ?? randomBytes(4).readUInt32BE(0);
  let seq = o.seqStart ?? randomBytes(2).readUInt16BE(0);
  let ts = o.tsStart ?? randomBytes(4).readUInt32BE(0);
  const packets: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (o.ssrcChangeAt !== undefined && i === o.ssrcChangeAt) {
      ssrc = (ssrc + 0x1234567) >>> 0;
      seq = randomBytes(2).readUInt16BE(0);
      ts = randomBytes(4).readUInt32BE(0);
    }
    packets.push(
      serializeRtpPacket({
        marker: i === 0,
        payloadType: o.payloadType,
        sequenceNumber: seq & 0xffff,
        timestamp: ts >>> 0,
        ssrc,
        payload: Buffer.from(o.payload.subarray(i * bytes, (i + 1) * bytes)),
      }),
    );
    seq++;
    ts += per;
  }
  const order: number[] = [];
  for (let i = 0; i < count; i++) order.push(i);
  for (const i of o.swap ?? []) {
    if (i + 1 < count) [order[i], order[i + 1]] = [order[i + 1], order[i]];
  }
  const host = o.host ?? '127.0.0.1';
  const send = (b: Buffer) => new Promise<void>(r => sock.send(b, o.port, host, () => r()));
  const start = Date.now();
  const msPer = (per * 1000) / 8000;
  let sent = 0;
  try {
    for (let k = 0; k < order.length; k++) {
      if (o.signal?.aborted) break;
      if (o.realtime !== false) {
        const due = start + k * msPer;
        const wait = due - Date.now();
        if (wait > 0) await new Promise(r => setTimeout(r, wait));
      }
      const i = order[k];
      if (o.drop?.has(i)) continue;
      await send(packets[i]);
      sent++;
      if (o.duplicate?.has(i)) {
        await send(packets[i]);
        sent++;
      }
    }
  } finally {
    await new Promise<void>(r => sock.close(() => r()));
  }
  return { sent, packets: count };
}
