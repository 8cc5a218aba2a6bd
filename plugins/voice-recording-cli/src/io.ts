import nodePath from 'node:path';

/** Where a command writes and how it resolves the paths it is given. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The directory relative paths are taken from. */
  cwd: string;
  /** fetch, for the commands that ask a backend. */
  fetch: typeof fetch;
}

/**
 * The process's streams. Relative paths are taken from where the command was typed:
 * `yarn mvr` runs in the repository's root, and Yarn says in INIT_CWD where it was invoked.
 */
export function processIo(): CliIo {
  return {
    out: t => process.stdout.write(t),
    err: t => process.stderr.write(t),
    cwd: nodePath.resolve(process.env.INIT_CWD || process.cwd()),
    fetch: globalThis.fetch,
  };
}
