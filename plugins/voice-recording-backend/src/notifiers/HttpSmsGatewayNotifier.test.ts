import http from 'node:http';
import { AddressInfo } from 'node:net';
import { StatusChangeNotification } from '@mvr/plugin-voice-recording-node';
import { HttpSmsGatewayNotifier } from './HttpSmsGatewayNotifier';

const notification: StatusChangeNotification = {
  number: '+32470123456',
  userRef: 'user:default/bob',
  changedBy: 'user:default/alice',
  previous: {
    mvrActive: true,
    statusMode: 'auto',
    activeStatus: 'professional',
  },
  current: { mvrActive: true, statusMode: 'manual', activeStatus: 'private' },
  text: 'Call recording of +32470123456 is now Manual - Private (not recorded).',
};

describe('HttpSmsGatewayNotifier', () => {
  let server: http.Server;
  let url: string;
  const received: { headers: http.IncomingHttpHeaders; body: any }[] = [];
  let answers: number[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let data = '';
      req.on('data', c => (data += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(data) });
        const status = answers.shift() ?? 202;
        if (status === 0) return; // never answer: timeout
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status >= 400 ? `error ${status}` : 'queued');
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(r => server.close(r));
  });

  beforeEach(() => {
    received.length = 0;
    answers = [];
  });

  it('posts { from, to, text } with the bearer token', async () => {
    const notifier = new HttpSmsGatewayNotifier(
      { url, token: 's3cret', from: 'Compliance', timeoutMs: 2000, retries: 2 },
      undefined,
      1,
    );
    await notifier.notify(notification);
    expect(received).toHaveLength(1);
    expect(received[0].headers.authorization).toBe('Bearer s3cret');
    expect(received[0].headers['content-type']).toBe('application/json');
    expect(received[0].body).toEqual({
      from: 'Compliance',
      to: '+32470123456',
      text: notification.text,
    });
  });

  it('retries after 5xx answers and succeeds', async () => {
    answers = [503, 500];
    const notifier = new HttpSmsGatewayNotifier(
      { url, timeoutMs: 2000, retries: 2 },
      undefined,
      1,
    );
    await notifier.notify(notification);
    expect(received).toHaveLength(3);
    expect(received[0].headers.authorization).toBeUndefined();
  });

  it('gives up after the retries with the last status', async () => {
    answers = [502, 502, 502];
    const notifier = new HttpSmsGatewayNotifier(
      { url, timeoutMs: 2000, retries: 2 },
      undefined,
      1,
    );
    await expect(notifier.notify(notification)).rejects.toThrow(
      /attempt 3\/3\): HTTP 502 error 502/,
    );
    expect(received).toHaveLength(3);
  });

  it('fails at once with a clear error on 4xx', async () => {
    answers = [401];
    const notifier = new HttpSmsGatewayNotifier(
      { url, timeoutMs: 2000, retries: 2 },
      undefined,
      1,
    );
    await expect(notifier.notify(notification)).rejects.toThrow(
      `SMS gateway ${url} refused the SMS to +32470123456: HTTP 401 error 401`,
    );
    expect(received).toHaveLength(1);
  });

  it('times out and reports an unreachable gateway', async () => {
    answers = [0, 0];
    const notifier = new HttpSmsGatewayNotifier(
      { url, timeoutMs: 200, retries: 1 },
      undefined,
      1,
    );
    await expect(notifier.notify(notification)).rejects.toThrow(
      /timed out after 200 ms/,
    );
    expect(received).toHaveLength(2);
    const closed = new HttpSmsGatewayNotifier(
      { url: 'http://127.0.0.1:1/sms', timeoutMs: 500, retries: 0 },
      undefined,
      1,
    );
    await expect(closed.notify(notification)).rejects.toThrow(/unreachable/);
  });
});
