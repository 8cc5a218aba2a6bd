import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDatabases } from '@backstage/backend-test-utils';
import { NUMBERS, finishedConversation, startRecorderBackend } from '../__testUtils__/recorderBackend';

jest.setTimeout(90_000);

const SIPP = '/usr/bin/sipp';
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>(r => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>(r => s.close(() => r()));
  return port;
}

describe('SIPREC recorder driven by sipp', () => {
  it('records the call of the sipp SIPREC scenario (multipart INVITE, ACK, BYE)', async () => {
    if (!fs.existsSync(SIPP)) throw new Error(`${SIPP} is required (Debian package sip-tester)`);
    const knex = await databases.init('SQLITE_3');
    const rb = await startRecorderBackend(knex);
    try {
      const scenario = path.resolve(__dirname, '../../sipp/siprec-basic.xml');
      const callId = `sipp-${Date.now()}@127.0.0.1`;
      const localPort = await freeUdpPort();
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(resolve => {
        execFile(
          SIPP,
          [
            '-sf', scenario, '-m', '1', '-t', 'u1', '-i', '127.0.0.1', '-p', String(localPort),
            '-cid_str', callId, '-key', 'recorded', NUMBERS.recorded, '-key', 'other', NUMBERS.other,
            '-timeout', '30', '-timeout_error', '-nostdin', '-trace_err',
            `127.0.0.1:${rb.port}`,
          ],
          { cwd: rb.dir, timeout: 60_000 },
          (err, out, errOut) => resolve({ code: err ? (err as any).code ?? 1 : 0, stdout: out, stderr: errOut }),
        );
      });
      if (code !== 0) {
        const errFile = fs.readdirSync(rb.dir).find(f => f.endsWith('_errors.log'));
        throw new Error(`sipp exited ${code}: ${stderr.slice(-2000)}${errFile ? fs.readFileSync(path.join(rb.dir, errFile), 'utf8').slice(-2000) : stdout.slice(-1000)}`);
      }
      const row = await finishedConversation(knex, callId);
      expect(row).toMatchObject({ state: 'finished', ended_by: 'bye', number: NUMBERS.recorded, other_party: NUMBERS.other });
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Number(row.duration_ms)).toBeGreaterThanOrEqual(900);
    } finally {
      await rb.stop();
      await knex.destroy();
    }
  });
});
