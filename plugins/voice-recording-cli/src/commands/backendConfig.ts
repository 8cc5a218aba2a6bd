/*
 * What the commands that work on the backend's own configuration share (rewrap-keys,
 * storage-migrate): their common options, loading the configuration, the working
 * directory its relative paths are resolved from, and its encryption keys.
 */
import nodePath from 'node:path';
import { ConfigSources } from '@backstage/config-loader';
import {
  loadEncryptionKeys,
  RecordingEncryptionConfig,
} from '@mvr/plugin-voice-recording-node';
import type { CliIo } from '../io';

/** The options every such command takes. */
export interface BackendConfigArgs {
  configs: string[];
  pathsFrom?: string;
  prefix?: string;
  dryRun: boolean;
}

/**
 * Parses `args` into `out`: --config (repeated, at least one), --paths-from, --prefix,
 * --dry-run, and the command's own options through `own`, which gets the flag and a
 * reader of its value and returns true when it took the flag, false when it is not
 * one of its own, or an error text. Returns `out` or an error text.
 */
export function parseBackendConfigArgs<T extends BackendConfigArgs>(
  args: string[],
  out: T,
  own: (flag: string, value: () => string) => boolean | string,
): T | string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--'))
        throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--config') out.configs.push(value());
      else if (a === '--paths-from') out.pathsFrom = value();
      else if (a === '--prefix') out.prefix = value();
      else if (a === '--dry-run') out.dryRun = true;
      else {
        const taken = own(a, value);
        if (typeof taken === 'string') return taken;
        if (!taken) return `unknown argument ${JSON.stringify(a)}`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (out.configs.length === 0) return 'at least one --config is required';
  return out;
}

/**
 * The backend's configuration from the --config files (resolved from where the command
 * was typed). Until `close`, the working directory is --paths-from (default: where the
 * command was typed): relative paths in the configuration (SQLite directory, storage
 * directory, key files) are the backend's, resolved from its working directory.
 */
export async function openBackendConfig(
  io: CliIo,
  args: BackendConfigArgs,
): Promise<{
  config: Awaited<ReturnType<typeof ConfigSources.toConfig>>;
  close(): Promise<void>;
}> {
  const config = await ConfigSources.toConfig(
    ConfigSources.default({
      argv: args.configs.flatMap(c => [
        '--config',
        nodePath.resolve(io.cwd, c),
      ]),
      rootDir: io.cwd,
      watch: false,
    }),
  );
  const previousCwd = process.cwd();
  process.chdir(nodePath.resolve(io.cwd, args.pathsFrom ?? '.'));
  return {
    config,
    close: async () => {
      process.chdir(previousCwd);
      await config.close?.();
    },
  };
}

/** The configured keys, never creating one: a missing key file is an error. */
export function loadExistingEncryptionKeys(enc: RecordingEncryptionConfig) {
  return loadEncryptionKeys({
    ...enc,
    keys: enc.keys.map(k => ({ ...k, createIfMissing: false })),
  });
}
