import { Config } from '@backstage/config';

/** `voiceRecording.exports.*` (docs/configuration.md "Regulator exports"). */
export interface ExportsConfig {
  /** Days a done package is kept before it is deleted (default 7). */
  expiryDays: number;
  /** Whether this backend builds export packages (default true). */
  worker: boolean;
}

/** Reads and checks `voiceRecording.exports.*`; errors name the key. */
export function readExportsConfig(root: Config): ExportsConfig {
  const c = root.getOptionalConfig('voiceRecording.exports');
  const expiryDays = c?.getOptionalNumber('expiryDays') ?? 7;
  if (!Number.isInteger(expiryDays) || expiryDays < 1 || expiryDays > 365)
    throw new Error(
      `voiceRecording.exports.expiryDays: ${expiryDays} is not a whole number of days from 1 to 365`,
    );
  return { expiryDays, worker: c?.getOptionalBoolean('worker') ?? true };
}
