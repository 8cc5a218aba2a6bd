/*
 * A backend entry (src/recorder.ts, src/archiver.ts) started as its own process for a
 * test, configured like a separated deployment: the repository's app-config.yaml, the
 * deployment's overlay (app-config.recorder.yaml, app-config.archiver.yaml) and the
 * test's own app-config.test.yaml written into the test's directory (the last config
 * wins). Its output is collected; it is stopped with SIGTERM (then SIGKILL after a
 * grace period) or SIGKILL straight away.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const BACKEND_DIR = path.resolve(__dirname, '../..');
export const REPO_ROOT = path.resolve(BACKEND_DIR, '../..');

/** A TCP port free on 127.0.0.1 at the time of the call. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns something other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  pollMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise(r => setTimeout(r, pollMs));
  }
}

/** A sine tone, `seconds` long, 8 kHz. */
export function tone(seconds: number, freq: number): Int16Array {
  const pcm = new Int16Array(8000 * seconds);
  for (let i = 0; i < pcm.length; i++)
    pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000));
  return pcm;
}

/** A demo-data numbers file: `number` recorded for bob all week, manual professional. */
export function demoNumbersYaml(number: string): string {
  return `numbers:\n  - number: '${number}'\n    userRef: user:default/bob\n    slots: [{ weekdays: Mon-Sun, start: '00:00', end: '24:00' }]\n    settings: { statusMode: manual, activeStatus: professional, simultaneousCalls: true }\n`;
}

/** The `backend.database` line of the test config: PostgreSQL with a prefix, or SQLite in `dir`/db. */
export function databaseConfigLine(
  kind: string,
  options: { dir: string; pg?: string; prefix: string },
): string {
  return kind === 'postgres'
    ? `  database: { client: pg, connection: '${options.pg}', prefix: '${options.prefix}' }`
    : `  database: { client: better-sqlite3, connection: { directory: '${options.dir}/db' } }`;
}

/**
 * The `backend` section of the test config: base URL and listening address on
 * 127.0.0.1:`httpPort`, and the database (databaseConfigLine).
 */
export function backendSection(
  kind: string,
  options: { dir: string; pg?: string; prefix: string; httpPort: number },
): string[] {
  return [
    'backend:',
    `  baseUrl: http://127.0.0.1:${options.httpPort}`,
    `  listen: { host: 127.0.0.1, port: ${options.httpPort} }`,
    databaseConfigLine(kind, options),
  ];
}

export interface BackendProcessOptions {
  /** The entry, relative to packages/backend: 'src/recorder.ts' or 'src/archiver.ts'. */
  entry: string;
  /** The deployment's overlay in the repository root, e.g. 'app-config.recorder.yaml'. */
  deploymentConfig: string;
  /** The test's directory: app-config.test.yaml is written there. */
  dir: string;
  /** The lines of app-config.test.yaml. */
  testConfig: string[];
  /** Environment on top of the test's (NODE_ENV=development); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** Start with the OpenTelemetry instrumentation (`--require ./instrumentation.js`). */
  instrumentation?: boolean;
  /** How the process is named in errors, e.g. 'the recorder process'. */
  name: string;
}

export interface BackendProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  readonly output: string;
  readonly exit: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>;
  /**
   * Waits until `match` finds something in the output; throws (with the output) when the
   * process exits, when `failed` says the start failed, or after `timeoutMs`.
   */
  waitForOutput<T>(
    what: string,
    match: (output: string) => T | undefined,
    timeoutMs: number,
    failed?: (output: string) => boolean,
  ): Promise<T>;
  /** Waits until the backend's readiness endpoint answers 200. */
  waitForReadiness(httpPort: number, timeoutMs: number): Promise<void>;
  /** SIGTERM then SIGKILL after `graceMs`, or SIGKILL at once without; no-op once exited. */
  stop(graceMs?: number): Promise<void>;
}

export function startBackendProcess(
  options: BackendProcessOptions,
): BackendProcess {
  fs.writeFileSync(
    path.join(options.dir, 'app-config.test.yaml'),
    options.testConfig.join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development' };
  delete env.JEST_WORKER_ID;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(
    process.execPath,
    [
      ...(options.instrumentation ? ['--require', './instrumentation.js'] : []),
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      options.entry,
      '--config',
      path.join(REPO_ROOT, 'app-config.yaml'),
      '--config',
      path.join(REPO_ROOT, options.deploymentConfig),
      '--config',
      path.join(options.dir, 'app-config.test.yaml'),
    ],
    { cwd: BACKEND_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', d => (output += d.toString()));
  child.stderr!.on('data', d => (output += d.toString()));
  const exit = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>(resolve =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exited = false;
  exit.then(() => (exited = true));
  return {
    child,
    get output() {
      return output;
    },
    exit,
    waitForOutput: (what, match, timeoutMs, failed) =>
      waitFor(
        what,
        () => {
          if (exited)
            throw new Error(
              `${options.name} exited during startup:\n${output}`,
            );
          if (failed?.(output))
            throw new Error(`${options.name} did not start:\n${output}`);
          return match(output);
        },
        timeoutMs,
      ).catch(e => {
        if (/^timed out/.test(e.message))
          throw new Error(`${e.message}; ${options.name}'s output:\n${output}`);
        throw e;
      }),
    waitForReadiness: async (httpPort, timeoutMs) => {
      await waitFor(
        'the HTTP readiness endpoint',
        async () => {
          const r = await fetch(
            `http://127.0.0.1:${httpPort}/.backstage/health/v1/readiness`,
          ).catch(() => undefined);
          return r?.status === 200 ? true : undefined;
        },
        timeoutMs,
      );
    },
    stop: async graceMs => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (graceMs) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([
          exit,
          new Promise(r => setTimeout(() => r(undefined), graceMs)),
        ]);
        if (stopped) return;
      }
      child.kill('SIGKILL');
      await exit;
    },
  };
}
