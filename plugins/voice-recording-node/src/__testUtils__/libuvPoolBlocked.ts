/*
 * Runs a function while every thread of libuv's pool is stuck (each in an `open` of a
 * FIFO for reading, which waits for a writer): whatever the function awaits that needs
 * the pool (fs/promises, createReadStream, crypto.pbkdf2, dns.lookup) cannot finish. Used
 * to show that some work does not use the pool at all.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export async function whileLibuvPoolBlocked<T>(fn: () => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'mvr-uvpool-'));
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const blockers = Array.from({ length: threads }, () => fs.promises.open(fifo, 'r'));
  let writer: number | undefined;
  try {
    // prove the pool is taken: a stat of an existing file does not come back meanwhile
    let probed = false;
    const probe = fs.promises.stat(dir).then(() => {
      probed = true;
    });
    await new Promise(r => setTimeout(r, 300));
    if (probed) throw new Error(`libuv's pool was not blocked (more than ${threads} threads?)`);
    const result = await fn();
    if (probed) throw new Error("libuv's pool got free while the function ran");
    writer = fs.openSync(fifo, 'w'); // lets the blocked opens return
    await probe;
    return result;
  } finally {
    if (writer === undefined) writer = fs.openSync(fifo, 'w');
    for (const h of await Promise.all(blockers)) await h.close();
    fs.closeSync(writer);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
