import { promises as fs } from 'node:fs';
import nodePath from 'node:path';
import { main } from '../index';
import type { CliIo } from '../io';
import {
  IDS,
  packageFiles,
  tempDir,
  testKey,
  writeZip,
} from '../__testUtils__/testPackage';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function capture(fetchImpl?: CliIo['fetch']) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: t => out.push(t),
    err: t => err.push(t),
    cwd: dir,
    fetch:
      fetchImpl ?? (() => Promise.reject(new Error('no network in tests'))),
  };
  return {
    io,
    lines: () => out.join('').split('\n').filter(Boolean),
    fails: () =>
      out
        .join('')
        .split('\n')
        .filter(l => l.startsWith('FAIL ')),
    err: () => err.join(''),
  };
}

const key = testKey();
const audio = (i: number) => `audio/${IDS[i]}.ogg`;
/** the files named by FAIL lines */
const failedFiles = (fails: string[]) =>
  [...new Set(fails.map(l => /^FAIL (\S+):/.exec(l)![1]))].sort();

describe('mvr verify <export.zip>', () => {
  it('passes a good package (a re-encoded archive with its chain of two signatures)', async () => {
    const zip = await writeZip(
      packageFiles(key, { reencoded: true }),
      dir,
      'good.zip',
    );
    const c = capture();
    expect(await main(['verify', 'good.zip'], c.io)).toBe(0);
    expect(c.fails()).toEqual([]);
    expect(c.lines()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^good\\.zip: OK\\. 3 conversations, 9 files, SHA256SUMS, manifest\\.json\\.sig and 4 recording signatures verified with key ${key.keyId}`,
        ),
      ),
    ]);
    // the same package with the key pinned
    await fs.writeFile(nodePath.join(dir, 'key.pem'), key.publicKeyPem);
    const pinned = capture();
    expect(
      await main(['verify', zip, '--public-key', 'key.pem'], pinned.io),
    ).toBe(0);
    expect(pinned.lines()[0]).toMatch(/the pinned key\)$/);
  });

  it('fails on a flipped byte, naming the audio file', async () => {
    const files = packageFiles(key, {
      tamper: f => {
        const b = Buffer.from(f.get(audio(1))!);
        b[40] ^= 0x01;
        f.set(audio(1), b);
      },
    });
    await writeZip(files, dir, 'flipped.zip');
    const c = capture();
    expect(await main(['verify', 'flipped.zip'], c.io)).toBe(1);
    expect(failedFiles(c.fails())).toEqual([audio(1)]);
    expect(c.fails()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/not the one in SHA256SUMS .*altered/),
        expect.stringMatching(/is not the manifest's .*altered or swapped/),
        expect.stringMatching(
          /signature covers SHA-256 [0-9a-f]{64}, the file's is/,
        ),
      ]),
    );
    expect(c.lines().at(-1)).toMatch(/^flipped\.zip: NOT VERIFIED, 3 problems/);
  });

  it('fails on two swapped files, naming both', async () => {
    const files = packageFiles(key, {
      tamper: f => {
        const a = f.get(audio(0))!;
        f.set(audio(0), f.get(audio(2))!);
        f.set(audio(2), a);
      },
    });
    await writeZip(files, dir, 'swapped.zip');
    const c = capture();
    expect(await main(['verify', 'swapped.zip'], c.io)).toBe(1);
    expect(failedFiles(c.fails())).toEqual([audio(0), audio(2)].sort());
  });

  it('fails on a removed file, naming it', async () => {
    const files = packageFiles(key, { tamper: f => f.delete(audio(2)) });
    await writeZip(files, dir, 'removed.zip');
    const c = capture();
    expect(await main(['verify', 'removed.zip'], c.io)).toBe(1);
    expect(c.fails()).toEqual([
      `FAIL ${audio(2)}: listed in SHA256SUMS but missing from the package`,
      `FAIL ${audio(2)}: missing from the package (conversation ${IDS[2]})`,
    ]);
  });

  it('fails on a removed manifest entry, naming the file no entry names and the broken manifest signature', async () => {
    const files = packageFiles(key, {
      tamper: (f, manifest) => {
        const edited = {
          ...manifest,
          conversations: manifest.conversations.filter(c => c.id !== IDS[1]),
        };
        f.set('manifest.json', Buffer.from(JSON.stringify(edited, null, 2)));
      },
    });
    await writeZip(files, dir, 'entry.zip');
    const c = capture();
    expect(await main(['verify', 'entry.zip'], c.io)).toBe(1);
    expect(c.fails()).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^FAIL manifest\.json\.sig: the signature of manifest\.json does not verify/,
        ),
        expect.stringMatching(
          /^FAIL manifest\.json: SHA-256 .* not the one in SHA256SUMS/,
        ),
        `FAIL ${audio(
          1,
        )}: no entry of manifest.json names this file (entry removed, or file added)`,
      ]),
    );
  });

  it('fails when the recordings were signed with another key than the package names', async () => {
    const other = testKey();
    await writeZip(
      packageFiles(key, { recordingKey: other }),
      dir,
      'wrongkey.zip',
    );
    const c = capture();
    expect(await main(['verify', 'wrongkey.zip'], c.io)).toBe(1);
    expect(failedFiles(c.fails())).toEqual(
      [audio(0), audio(1), audio(2)].sort(),
    );
    expect(c.fails()).toEqual(
      expect.arrayContaining([
        `FAIL ${audio(0)}: signature was made with key ${
          other.keyId
        }, not with key ${key.keyId}`,
        `FAIL ${audio(0)}: signature does not verify with key ${
          key.keyId
        } (payload altered or signed with another key)`,
      ]),
    );
  });

  it('fails a package consistently re-signed with another key when the real key is pinned', async () => {
    const forger = testKey();
    await writeZip(packageFiles(forger), dir, 'forged.zip');
    // on its own the forged package is consistent...
    const alone = capture();
    expect(await main(['verify', 'forged.zip'], alone.io)).toBe(0);
    // ...but not with the installation's key
    await fs.writeFile(nodePath.join(dir, 'real.pem'), key.publicKeyPem);
    const c = capture();
    expect(
      await main(['verify', 'forged.zip', '--public-key', 'real.pem'], c.io),
    ).toBe(1);
    expect(c.fails()).toEqual(
      expect.arrayContaining([
        `FAIL public-key.pem: the package's key ${forger.keyId} is not the pinned key ${key.keyId}`,
        expect.stringMatching(
          /^FAIL manifest\.json\.sig: .* does not verify with key/,
        ),
        expect.stringMatching(
          new RegExp(`^FAIL ${audio(0)}: signature does not verify`),
        ),
      ]),
    );
  });

  it('fails on an added file and on a file that is not a ZIP', async () => {
    const files = packageFiles(key, {
      tamper: f => f.set('audio/extra.ogg', Buffer.from('smuggled')),
    });
    await writeZip(files, dir, 'added.zip');
    const c = capture();
    expect(await main(['verify', 'added.zip'], c.io)).toBe(1);
    expect(c.fails()).toEqual([
      'FAIL audio/extra.ogg: not listed in SHA256SUMS (added to the package)',
      'FAIL audio/extra.ogg: no entry of manifest.json names this file (entry removed, or file added)',
    ]);
    await fs.writeFile(nodePath.join(dir, 'notzip.zip'), 'hello');
    const n = capture();
    expect(await main(['verify', 'notzip.zip'], n.io)).toBe(1);
    expect(n.fails()[0]).toMatch(/notzip\.zip: not a readable ZIP package/);
  });

  it('says how to use it (exit 2)', async () => {
    const c = capture();
    expect(await main(['verify'], c.io)).toBe(2);
    expect(c.err()).toMatch(/usage: mvr verify/);
    const u = capture();
    expect(await main(['nope'], u.io)).toBe(2);
    expect(u.err()).toMatch(/unknown command "nope"/);
    const m = capture();
    expect(await main(['verify', 'missing.zip'], m.io)).toBe(2);
    expect(m.err()).toMatch(/missing\.zip is not a file/);
  });
});

describe('mvr verify <conversation id>', () => {
  it("asks the backend's verify endpoint and reports its answer", async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const answer = (body: object) =>
      (async (url: string, init: RequestInit) => {
        calls.push({ url, init });
        return new Response(JSON.stringify(body), { status: 200 });
      }) as unknown as CliIo['fetch'];
    const ok = capture(
      answer({
        conversationId: IDS[0],
        ok: true,
        keyId: 'abc',
        sha256: 'f00',
        checkedAt: 'now',
      }),
    );
    expect(
      await main(
        ['verify', IDS[0], '--url', 'http://backend:7007/', '--token', 't0k'],
        ok.io,
      ),
    ).toBe(0);
    expect(calls[0].url).toBe(
      `http://backend:7007/api/voice-recording/conversations/${IDS[0]}/verify`,
    );
    expect(calls[0].init.method).toBe('POST');
    expect(
      (calls[0].init.headers as Record<string, string>).authorization,
    ).toBe('Bearer t0k');
    expect(ok.lines()[0]).toMatch(
      /OK\. The stored archive \(SHA-256 f00\) matches its signature with key abc/,
    );
    const bad = capture(
      answer({
        conversationId: IDS[0],
        ok: false,
        problems: ['the stored archive is missing'],
      }),
    );
    expect(await main(['verify', IDS[0], '--url', 'http://b'], bad.io)).toBe(1);
    expect(bad.fails()).toEqual([
      `FAIL conversation ${IDS[0]}: the stored archive is missing`,
    ]);
    const noUrl = capture();
    expect(await main(['verify', IDS[0]], noUrl.io)).toBe(2);
    expect(noUrl.err()).toMatch(/--url/);
  });
});
