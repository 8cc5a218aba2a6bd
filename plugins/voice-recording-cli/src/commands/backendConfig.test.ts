/*
 * The options rewrap-keys and storage-migrate share (backendConfig.ts), through the
 * commands themselves: a bad command line is refused with exit code 2 and a message
 * naming the option, before any configuration is read.
 */
import { main } from '../index';
import type { CliIo } from '../io';

async function run(args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const io: CliIo = {
    out: () => undefined,
    err: t => err.push(t),
    cwd: '/nonexistent-mvr-cli-test',
    fetch: () => Promise.reject(new Error('no network in tests')),
  };
  const code = await main(args, io);
  return { code, err: err.join('') };
}

describe.each([['rewrap-keys'], ['storage-migrate']])(
  'mvr %s command line',
  command => {
    it.each([
      [[], /at least one --config is required/],
      [['--config'], /--config needs a value/],
      [['--config', '--dry-run'], /--config needs a value/],
      [['--config', 'a.yaml', '--paths-from'], /--paths-from needs a value/],
      [['--config', 'a.yaml', '--prefix'], /--prefix needs a value/],
      [['--config', 'a.yaml', '--from'], /--from needs a value/],
      [['--config', 'a.yaml', '--bogus'], /unknown argument "--bogus"/],
    ])('refuses %j', async (args, message) => {
      const r = await run([command, ...args]);
      expect(r).toEqual({
        code: 2,
        err: expect.stringMatching(message),
      });
      expect(r.err).toContain(`usage: mvr ${command} --config`);
    });
  },
);

describe('mvr storage-migrate command line, its own options', () => {
  it.each([
    [
      ['--concurrency', '0'],
      /--concurrency must be a whole number from 1 to 64, not "0"/,
    ],
    [['--concurrency', '65'], /not "65"/],
    [['--concurrency', '2.5'], /not "2\.5"/],
    [
      ['--delete-local', '--dry-run'],
      /--delete-local and --dry-run exclude each other/,
    ],
  ])('refuses %j', async (args, message) => {
    const r = await run(['storage-migrate', '--config', 'a.yaml', ...args]);
    expect(r).toEqual({ code: 2, err: expect.stringMatching(message) });
  });

  it('is not taken by rewrap-keys (its options are its own)', async () => {
    const r = await run([
      'rewrap-keys',
      '--config',
      'a.yaml',
      '--delete-local',
    ]);
    expect(r).toEqual({
      code: 2,
      err: expect.stringMatching(/unknown argument "--delete-local"/),
    });
  });
});
