import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A fresh recording storage directory for a test backend, removed when the process
 * exits. A test backend without one would use the default `<repo>/.data/recordings`,
 * the demo portal's storage: with encryption on there, it would refuse to start.
 */
export function testStorageDirectory(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mvr-test-storage-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
