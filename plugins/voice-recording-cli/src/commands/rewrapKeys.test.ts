import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { Readable } from 'node:stream';
import {
  EncryptedBlobStore,
  LocalFileBlobStore,
  StaticKeyEncryptionKeys,
} from '@mvr/plugin-voice-recording-node';
import { main } from '../index';
import type { CliIo } from '../io';

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('mvr rewrap-keys', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(nodePath.join(tmpdir(), 'mvr-rewrap-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function capture() {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: t => out.push(t),
      err: t => err.push(t),
      cwd: dir,
      fetch: () => Promise.reject(new Error('no network in tests')),
    };
    return { io, out: () => out.join(''), err: () => err.join('') };
  }

  /** an app-config whose relative paths are the backend's (run with --paths-from backend) */
  function writeConfig(name: string, keys: string[], active: string) {
    const yaml = [
      'voiceRecording:',
      '  storage:',
      '    local:',
      '      directory: ../recordings',
      '  encryption:',
      `    activeKeyId: ${active}`,
      '    keys:',
      ...keys.flatMap(id => [`      - id: ${id}`, `        keyFile: ../keys/${id}.key`]),
      '',
    ].join('\n');
    fs.writeFileSync(nodePath.join(dir, name), yaml);
  }

  it('re-wraps every file of the old key with the new one, headers only; the old key can then go', async () => {
    fs.mkdirSync(nodePath.join(dir, 'backend'));
    fs.mkdirSync(nodePath.join(dir, 'keys'));
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    fs.writeFileSync(nodePath.join(dir, 'keys', 'k1.key'), k1.toString('base64'));
    fs.writeFileSync(nodePath.join(dir, 'keys', 'k2.key'), k2);
    const local = new LocalFileBlobStore(nodePath.join(dir, 'recordings'), { minFreeBytes: 0 });
    const old = new EncryptedBlobStore(local, new StaticKeyEncryptionKeys([['k1', k1]], 'k1'));
    await old.verifyKeys();
    const audio = randomBytes(200_000);
    await old.put('recordings/a.opus', audio, { contentType: 'audio/ogg' });
    await old.put('recordings/a.opus.peaks', Buffer.from('peaks'), { contentType: 'application/octet-stream' });
    const bodyBefore = fs.readFileSync(nodePath.join(dir, 'recordings', 'recordings', 'a.opus')).subarray(512);

    writeConfig('both.yaml', ['k1', 'k2'], 'k2');
    const dry = capture();
    expect(await main(['rewrap-keys', '--config', 'both.yaml', '--paths-from', 'backend', '--dry-run'], dry.io)).toBe(0);
    expect(dry.out()).toMatch(/would re-wrap: 2\n/);
    expect(dry.out()).toMatch(/still under key k1: 2\n/);
    // a dry run writes nothing, not even the new key's check blob
    expect(fs.existsSync(nodePath.join(dir, 'recordings', '_encryption', 'key-check', 'k2'))).toBe(false);

    const run = capture();
    expect(await main(['rewrap-keys', '--config', 'both.yaml', '--paths-from', 'backend'], run.io)).toBe(0);
    expect(run.out()).toMatch(/storage: local files in .*recordings/);
    expect(run.out()).toMatch(/re-wrapped: 2\n/);
    expect(run.out()).toMatch(/key k1 is no longer used by any file/);
    // the audio bytes after the header are untouched
    expect(fs.readFileSync(nodePath.join(dir, 'recordings', 'recordings', 'a.opus')).subarray(512)).toEqual(bodyBefore);

    const again = capture();
    expect(await main(['rewrap-keys', '--config', 'both.yaml', '--paths-from', 'backend'], again.io)).toBe(0);
    expect(again.out()).toMatch(/re-wrapped: 0\nalready under the active key: 2\n/);

    // k1 gone from the configuration: everything reads with k2 alone
    const only2 = new EncryptedBlobStore(local, new StaticKeyEncryptionKeys([['k2', k2]], 'k2'));
    await only2.verifyKeys();
    expect(await readAll(await only2.get('recordings/a.opus'))).toEqual(audio);
  });

  it('fails, naming the key, when a key file is missing, and explains its usage', async () => {
    fs.mkdirSync(nodePath.join(dir, 'backend'));
    writeConfig('missing.yaml', ['k9'], 'k9');
    const c = capture();
    expect(await main(['rewrap-keys', '--config', 'missing.yaml', '--paths-from', 'backend'], c.io)).toBe(1);
    expect(c.err()).toMatch(/Encryption key "k9" is missing: key file .*k9\.key does not exist/);
    expect(fs.existsSync(nodePath.join(dir, 'keys', 'k9.key'))).toBe(false);
    const u = capture();
    expect(await main(['rewrap-keys'], u.io)).toBe(2);
    expect(u.err()).toMatch(/at least one --config is required/);
  });
});
