import { randomUUID } from 'node:crypto';
import { NumberSettings, TimeSlot } from '@mvr/plugin-voice-recording-common';
import { Knex } from 'knex';
import { KnexNumbersStore } from '../../database/NumbersStore';

/** A number's settings: automatic status, professional, in Brussels; `over` changes some. */
export const numberSettings = (
  over: Partial<NumberSettings> = {},
): NumberSettings => ({
  beep: false,
  smsOnStatusChange: false,
  statusMode: 'auto',
  activeStatus: 'professional',
  selfManaged: false,
  simultaneousCalls: true,
  timeZone: 'Europe/Brussels',
  ...over,
});

/** Recorded on weekdays 08:00-18:00. */
export const OFFICE_HOURS: TimeSlot = {
  weekdays: [1, 2, 3, 4, 5],
  start: '08:00',
  end: '18:00',
};

/**
 * Creates a recorded number of `userRef` (office hours and numberSettings() unless
 * given) added at `createdAt`: before the test's clock, so that its hours count from
 * the clock's start.
 */
export async function createNumberAddedAt(
  knex: Knex,
  options: {
    number: string;
    userRef: string;
    createdAt: Date | string;
    settings?: NumberSettings;
    slots?: TimeSlot[];
  },
) {
  const n = await new KnexNumbersStore(knex).create({
    number: options.number,
    userRef: options.userRef,
    mvrActive: true,
    fmu: false,
    settings: options.settings ?? numberSettings(),
    slots: options.slots ?? [OFFICE_HOURS],
  });
  await knex('vr_numbers')
    .where('id', n.id)
    .update({ created_at: new Date(options.createdAt) });
  return n;
}

/** A vr_conversations row: a finished SIPREC call of `numberId` started at `startedAt`. */
export const conversationRow = (
  numberId: string,
  startedAt: Date,
  extra: Record<string, unknown> = {},
) => {
  const id = randomUUID();
  return {
    id,
    recorded_number_id: numberId,
    number: '+32470000000',
    number_digits: '32470000000',
    user_ref: 'user:default/bob',
    started_at: startedAt,
    sip_call_id: `call-${id}`,
    participants: '[]',
    metadata: '{}',
    dtmf: '[]',
    state: 'finished',
    capture_source: 'siprec',
    ...extra,
  };
};
