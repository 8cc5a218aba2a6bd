import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { JournalSpares } from './JournalSpares';

describe('JournalSpares', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-spares-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const sparesOnDisk = () => fs.readdirSync(dir).filter(f => f.endsWith('.spare')).sort();

  it('deletes the spares a killed run left, keeps the journals, and fills the pool', async () => {
    fs.writeFileSync(path.join(dir, 'left.spare'), '');
    fs.writeFileSync(path.join(dir, 'call.1.abcd.mvrj'), 'a journal');
    const spares = new JournalSpares(path.join(dir), { target: 3 });
    await spares.start();
    await spares.filled();
    expect(spares.size).toBe(3);
    expect(sparesOnDisk()).toHaveLength(3);
    expect(sparesOnDisk()).not.toContain('left.spare');
    expect(fs.existsSync(path.join(dir, 'call.1.abcd.mvrj'))).toBe(true);
    await spares.close();
    expect(sparesOnDisk()).toEqual([]);
  });

  it('hands out open, empty files and refills behind them; none ready is a miss, not an error', async () => {
    const spares = new JournalSpares(dir, { target: 2 });
    expect(spares.take()).toBeUndefined(); // not started
    await spares.start();
    await spares.filled();
    const a = spares.take()!;
    const b = spares.take()!;
    expect(a.path).not.toBe(b.path);
    await a.handle.write(Buffer.from('x'));
    expect(fs.statSync(a.path).size).toBe(1);
    expect(fs.statSync(b.path).size).toBe(0);
    await spares.filled();
    expect(spares.size).toBe(2);
    expect(spares.stats).toMatchObject({ taken: 2, made: 4, failures: 0 });
    await Promise.all([a.handle.close(), b.handle.close()]);
    await spares.close();
    expect(spares.take()).toBeUndefined();
    expect(sparesOnDisk().sort()).toEqual([path.basename(a.path), path.basename(b.path)].sort());

    const none = new JournalSpares(dir, { target: 0 });
    await none.start();
    expect(none.take()).toBeUndefined();
    expect(none.stats.missed).toBe(1);
  });

  it('reports a directory it cannot use and tries again at the next take', async () => {
    const blocked = path.join(dir, 'file');
    fs.writeFileSync(blocked, 'not a directory');
    const errors: string[] = [];
    const spares = new JournalSpares(path.join(blocked, 'journal'), { target: 2, onError: e => errors.push((e as NodeJS.ErrnoException).code ?? e.message) });
    await spares.start();
    await spares.filled();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toBe('ENOTDIR');
    expect(spares.take()).toBeUndefined();
    await spares.filled();
    expect(spares.stats.failures).toBeGreaterThanOrEqual(2);
    await spares.close();
  });
});
