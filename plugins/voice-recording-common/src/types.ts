/** ISO weekday: 1 = Monday ... 7 = Sunday (luxon's `weekday`). */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/**
 * A weekly time slot: one or more weekdays with a start and end time of day,
 * minute precision, `HH:mm` (24h). `end` may be `24:00` (end of day).
 * A slot never crosses midnight: split such a period into two slots.
 */
export interface TimeSlot {
  id?: string;
  weekdays: Weekday[];
  start: string;
  end: string;
}

/** A named, reusable set of slots that admins apply to numbers. */
export interface PlanningModel {
  id: string;
  name: string;
  description?: string;
  slots: TimeSlot[];
  /**
   * How many recorded numbers were last scheduled from this model. Planning models are
   * copied on apply: editing a model never changes a number's slots.
   */
  usedBy?: number;
  /** How many of those still have exactly the model's slots (not edited since). */
  followedBy?: number;
  createdAt: string;
  updatedAt: string;
}

/** Auto: follow the schedule. Manual: the active status decides. */
export type StatusMode = 'auto' | 'manual';
export type ActiveStatus = 'professional' | 'private';

export interface NumberSettings {
  beep: boolean;
  smsOnStatusChange: boolean;
  statusMode: StatusMode;
  /** Used when statusMode is manual. */
  activeStatus: ActiveStatus;
  selfManaged: boolean;
  simultaneousCalls: boolean;
  /** IANA time zone the schedule is evaluated in, e.g. Europe/Brussels. */
  timeZone: string;
}

export interface RecordedNumber {
  id: string;
  /** E.164, e.g. +32470123456 */
  number: string;
  /** Catalog entity ref of the owning user, e.g. user:default/alice */
  userRef: string;
  mvrActive: boolean;
  fmu: boolean;
  settings: NumberSettings;
  slots: TimeSlot[];
  /**
   * Name of the planning model last applied, if the schedule came from one (a slot
   * added or deleted by hand ends that: the schedule is then the number's own).
   */
  planningModel?: string;
  /**
   * With `planningModel`: whether the number's slots still equal the model's current
   * slots (false once the model was edited after it was applied to this number).
   */
  followsPlanningModel?: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Why a call is or is not recorded at an instant. */
export type RecordingReason =
  | 'recording'
  | 'mvr-inactive'
  | 'manual-private'
  | 'outside-schedule'
  | 'emergency-number';

export interface RecordingDecision {
  record: boolean;
  reason: RecordingReason;
  /** Play the recording tone (only meaningful when record is true). */
  beep: boolean;
  /** Human readable explanation. */
  message: string;
}

/** Status shown as a badge: what a number does right now. */
export type NumberStatus =
  | 'recording'
  | 'private'
  | 'outside-schedule'
  | 'inactive';

export interface RecordedNumberWithStatus extends RecordedNumber {
  status: NumberStatus;
}
