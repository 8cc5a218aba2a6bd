import { Config } from '@backstage/config';
import { createHash } from 'node:crypto';
import {
  normalizePhoneNumber,
  parseRetentionPeriod,
  RetentionPeriod,
} from '@mvr/plugin-voice-recording-common';

const KEY = 'voiceRecording.retention';

/** A policy declared in app-config (read-only in the portal). */
export interface ConfiguredRetentionPolicy {
  /** Stable id derived from the name (the same on every instance and restart). */
  id: string;
  name: string;
  period: string;
  /** no groups and no numbers: the default */
  groups?: string[];
  /** E.164 numbers */
  numbers?: string[];
}

/** voiceRecording.retention (docs/configuration.md "Retention and disposal"). */
export interface RetentionConfig {
  /** The regulatory minimum (default P5Y, MiFID II): no retention is ever shorter. */
  minimumPeriod: RetentionPeriod;
  minimumPeriodText: string;
  policies: ConfiguredRetentionPolicy[];
  disposal: {
    /** run the scheduled disposal job (default true) */
    enabled: boolean;
    /** minutes between two runs (default 60) */
    frequencyMinutes: number;
    /** conversations per batch: one claim, one transaction, one audit entry (default 500) */
    batchSize: number;
    /** at most this many conversations per run (default 100000) */
    maxPerRun: number;
    /** files deleted in parallel within a batch (default 8) */
    deleteConcurrency: number;
  };
}

/** A uuid-shaped id derived from a configured policy's name. */
export function configPolicyId(name: string): string {
  const h = createHash('sha256')
    .update(`retention-policy:${name}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(
    17,
    20,
  )}-${h.slice(20, 32)}`;
}

function int(
  c: Config | undefined,
  key: string,
  fallback: number,
  min: number,
  max: number,
) {
  const v = c?.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(
      `${KEY}.${key}: ${v} is not a whole number from ${min} to ${max}`,
    );
  return v;
}

export function readRetentionConfig(
  root: Config,
  defaultCountry = 'BE',
): RetentionConfig {
  const c = root.getOptionalConfig(KEY);
  const minimumText = c?.getOptionalString('minimumPeriod') ?? 'P5Y';
  const min = parseRetentionPeriod(minimumText);
  if (!min.ok) throw new Error(`${KEY}.minimumPeriod: ${min.message}`);
  const names = new Set<string>();
  const policies = (c?.getOptionalConfigArray('policies') ?? []).map((p, i) => {
    const where = `${KEY}.policies[${i}]`;
    const name = p.getString('name').trim();
    if (!name || name.length > 100)
      throw new Error(`${where}.name: 1 to 100 characters`);
    if (names.has(name))
      throw new Error(`${where}.name: "${name}" is declared twice`);
    names.add(name);
    const period = p.getString('period').trim().toUpperCase();
    const parsed = parseRetentionPeriod(period);
    if (!parsed.ok) throw new Error(`${where}.period: ${parsed.message}`);
    const groups = p.getOptionalStringArray('groups');
    const numbers = p.getOptionalStringArray('numbers')?.map(n => {
      const r = normalizePhoneNumber(n, defaultCountry);
      if (!r.ok)
        throw new Error(`${where}.numbers: "${n}" is not a phone number`);
      return r.e164;
    });
    if (groups?.length && numbers?.length)
      throw new Error(`${where}: groups or numbers, not both`);
    return {
      id: configPolicyId(name),
      name,
      period,
      ...(groups?.length ? { groups: groups.map(g => g.toLowerCase()) } : {}),
      ...(numbers?.length ? { numbers } : {}),
    };
  });
  return {
    minimumPeriod: min.period,
    minimumPeriodText: minimumText.toUpperCase(),
    policies,
    disposal: {
      enabled: c?.getOptionalBoolean('disposal.enabled') ?? true,
      frequencyMinutes: int(c, 'disposal.frequencyMinutes', 60, 1, 7 * 24 * 60),
      batchSize: int(c, 'disposal.batchSize', 500, 1, 5000),
      maxPerRun: int(c, 'disposal.maxPerRun', 100_000, 1, 10_000_000),
      deleteConcurrency: int(c, 'disposal.deleteConcurrency', 8, 1, 64),
    },
  };
}
