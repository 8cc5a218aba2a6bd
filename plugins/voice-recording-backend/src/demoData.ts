import fs from 'node:fs/promises';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  NumberSettings,
  parseWeekdays,
  toE164,
  TimeSlot,
  validateNumberSettings,
  validateSlots,
} from '@mvr/plugin-voice-recording-common';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VoiceRecordingConfig } from './config';
import { NumbersStore, PlanningModelsStore } from './database';

const slot = z.object({
  weekdays: z.union([z.array(z.number().int().min(1).max(7)), z.string()]),
  start: z.string(),
  end: z.string(),
});

const demoSchema = z.object({
  planningModels: z
    .array(
      z.object({
        name: z.string().min(1),
        description: z.string().optional(),
        slots: z.array(slot).min(1),
      }),
    )
    .default([]),
  numbers: z
    .array(
      z.object({
        number: z.string(),
        userRef: z.string(),
        mvrActive: z.boolean().optional(),
        fmu: z.boolean().optional(),
        planningModel: z.string().optional(),
        slots: z.array(slot).optional(),
        settings: z
          .object({
            beep: z.boolean(),
            smsOnStatusChange: z.boolean(),
            statusMode: z.enum(['auto', 'manual']),
            activeStatus: z.enum(['professional', 'private']),
            selfManaged: z.boolean(),
            simultaneousCalls: z.boolean(),
            timeZone: z.string(),
          })
          .partial()
          .optional(),
      }),
    )
    .default([]),
});

function toSlots(where: string, raw: z.infer<typeof slot>[]): TimeSlot[] {
  const slots = raw.map((s, i) => {
    const weekdays = Array.isArray(s.weekdays)
      ? s.weekdays
      : parseWeekdays(s.weekdays);
    if (!weekdays)
      throw new Error(
        `${where}.slots[${i}].weekdays: cannot read "${s.weekdays}"`,
      );
    return { weekdays, start: s.start, end: s.end } as TimeSlot;
  });
  const errors = validateSlots(slots);
  if (errors.length) {
    throw new Error(
      `${where}.slots: ${errors
        .map(e => `[${e.index}] ${e.message}`)
        .join('; ')}`,
    );
  }
  return slots;
}

/**
 * Loads `voiceRecording.demoData.file` when the plugin's tables are empty.
 * Returns what was loaded, or undefined when nothing was done.
 */
export async function loadDemoData(options: {
  file: string;
  config: VoiceRecordingConfig;
  numbers: NumbersStore;
  planningModels: PlanningModelsStore;
  logger: LoggerService;
}): Promise<{ planningModels: number; numbers: number } | undefined> {
  const { file, config, numbers, planningModels, logger } = options;
  if (
    (await numbers.countAll()) > 0 ||
    (await planningModels.list()).length > 0
  ) {
    logger.info(
      `voice-recording demo data ${file} not loaded: the tables are not empty`,
    );
    return undefined;
  }
  const text = await fs.readFile(file, 'utf8');
  const parsed = demoSchema.safeParse(parseYaml(text));
  if (!parsed.success) {
    throw new Error(
      `demo data ${file}: ${parsed.error.issues
        .map(i => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  }
  const models = new Map<string, { id: string; slots: TimeSlot[] }>();
  for (const [i, m] of parsed.data.planningModels.entries()) {
    const created = await planningModels.create({
      name: m.name,
      description: m.description,
      slots: toSlots(`${file}: planningModels[${i}]`, m.slots),
    });
    models.set(created.name, { id: created.id, slots: created.slots });
  }
  for (const [i, n] of parsed.data.numbers.entries()) {
    const where = `${file}: numbers[${i}]`;
    const fmu = n.fmu ?? false;
    const mvrActive = n.mvrActive ?? !fmu;
    const settings: NumberSettings = {
      beep: false,
      smsOnStatusChange: false,
      statusMode: 'auto',
      activeStatus: 'professional',
      selfManaged: false,
      simultaneousCalls: false,
      timeZone: config.defaultTimeZone,
      ...n.settings,
    };
    const errors = validateNumberSettings(settings, { mvrActive, fmu });
    if (errors.length) {
      throw new Error(
        `${where}: ${errors.map(e => `${e.field}: ${e.message}`).join('; ')}`,
      );
    }
    let slots = config.defaultSlots;
    let planningModelId: string | undefined;
    if (n.planningModel) {
      const model = models.get(n.planningModel);
      if (!model)
        throw new Error(
          `${where}.planningModel: unknown planning model "${n.planningModel}"`,
        );
      slots = model.slots;
      planningModelId = model.id;
    } else if (n.slots) {
      slots = toSlots(where, n.slots);
    }
    await numbers.create({
      number: toE164(n.number, config.defaultCountry),
      userRef: n.userRef.includes(':')
        ? n.userRef
        : `user:default/${n.userRef}`,
      mvrActive,
      fmu,
      settings,
      slots,
      planningModelId,
    });
  }
  const result = {
    planningModels: models.size,
    numbers: parsed.data.numbers.length,
  };
  logger.info(
    `voice-recording demo data loaded from ${file}: ${result.planningModels} planning models, ${result.numbers} numbers`,
  );
  return result;
}
