import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  expectedRecordingSeconds,
  instantWhenExpectedSecondsReached,
  RecordingAlarm,
  RecordingAlarmList,
} from '@mvr/plugin-voice-recording-common';
import { NumberRecord, NumbersStore } from '../../database/NumbersStore';
import {
  AlarmFinding,
  AlarmListQuery,
  alarmSubject,
  RecordingAlarmsStore,
} from '../../database/RecordingAlarmsStore';
import { RecordingSignalsStore } from '../../database/RecordingSignalsStore';
import {
  RecordingAlarmEvent,
  RecordingAlarmNotifier,
} from '../../notifiers/RecordingAlarmNotifier';
import { Actor, AuditRecorder } from '../AuditRecorder';
import { RecordingAlarmsConfig } from './alarmsConfig';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** How far back the silent-number hours are counted (the figure, not the decision). */
const SILENT_LOOKBACK_MS = 90 * DAY_MS;
/** Numbers with a call this recent are found in one query (see lastRecordedCallOf). */
const RECENT_CALL_MS = 2 * DAY_MS;
/** Recorder instances seen in this lookback are the peers of the idle-recorder check. */
const RECORDER_LOOKBACK_MS = DAY_MS;

const ACTOR = { ref: 'plugin:voice-recording' };

/** The audit action of each evaluation event. */
const EVENT_AUDIT: Record<RecordingAlarmEvent, { action: string }> = {
  raised: { action: 'recording-alarm-raise' },
  reraised: { action: 'recording-alarm-reraise' },
  resolved: { action: 'recording-alarm-resolve' },
};

/** What one evaluation changed. */
export interface AlarmEvaluation {
  raised: RecordingAlarm[];
  reraised: RecordingAlarm[];
  resolved: RecordingAlarm[];
}

const percent = (share: number) => `${Math.round(share * 100)}%`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Recording alarms (docs/operations.md "Recording health"): evaluates the recorders'
 * signals into one alarm per problem (raised, re-raised every `reRaiseHours` while it
 * lasts, resolved when it is gone), notifies the admins and audits each change; lists
 * alarms and records their acknowledgement. `evaluate(now)` takes the clock as an
 * argument (the scheduled task passes the real one, tests a controlled one).
 */
export class RecordingAlarmsService {
  constructor(
    private readonly options: {
      alarms: RecordingAlarmsStore;
      signals: RecordingSignalsStore;
      numbers: NumbersStore;
      notifier: RecordingAlarmNotifier;
      audit: AuditRecorder;
      config: RecordingAlarmsConfig;
      logger: LoggerService;
      /** told the numbers whose unresolved alarms changed (e.g. the catalog refresh) */
      onChange?: (change: { numberIds: string[] }) => Promise<void> | void;
    },
  ) {}

  list(q: AlarmListQuery): Promise<RecordingAlarmList> {
    return this.options.alarms.list(q);
  }

  /** Acknowledges an unresolved alarm with a comment (audited); 404 unknown, 409 resolved. */
  async acknowledge(
    id: string,
    comment: string,
    actor: Actor,
    now = new Date(),
  ): Promise<RecordingAlarm> {
    const r = await this.options.alarms.acknowledge(
      id,
      actor.ref,
      comment,
      now,
    );
    if (r.outcome === 'not-found')
      throw new NotFoundError(`recording alarm ${id} not found`);
    if (r.outcome === 'resolved')
      throw new ConflictError(
        `recording alarm ${id} was resolved at ${r.alarm.resolvedAt}: there is nothing left to acknowledge`,
      );
    await this.options.audit.record({
      actor,
      action: 'recording-alarm-acknowledge',
      targetType: 'recording-alarm',
      targetId: id,
      details: {
        ...this.auditFacts(r.alarm),
        comment,
        ...(r.before.acknowledgedBy
          ? { previouslyAcknowledgedBy: r.before.acknowledgedBy }
          : {}),
      },
    });
    await this.changed([r.alarm]);
    return r.alarm;
  }

  /** One evaluation at `now`: raises, re-raises and resolves; notifies and audits each. */
  async evaluate(now: Date = new Date()): Promise<AlarmEvaluation> {
    const { alarms, config } = this.options;
    const numbers = await this.allNumbers();
    const findings = [
      ...(await this.silentNumbers(numbers, now)),
      ...(await this.refusals(numbers, now)),
      ...(await this.failedQuality(numbers, now)),
      ...(await this.idleRecorders(now)),
    ];
    const out: AlarmEvaluation = { raised: [], reraised: [], resolved: [] };
    const found = new Set<string>();
    for (const f of findings) {
      found.add(`${f.kind}:${alarmSubject(f)}`);
      const { alarm, outcome } = await alarms.raise(
        f,
        now,
        config.reRaiseHours * HOUR_MS,
      );
      if (outcome === 'raised') {
        out.raised.push(alarm);
        await this.tell(alarm, 'raised');
      } else if (outcome === 'reraised') {
        out.reraised.push(alarm);
        await this.tell(alarm, 'reraised');
      }
    }
    for (const a of await alarms.unresolved()) {
      const subject =
        a.kind === 'idle-recorder' ? a.recorderInstance : a.numberId;
      if (subject && found.has(`${a.kind}:${subject}`)) continue;
      const resolution = await this.resolution(a, numbers);
      if (!resolution) continue;
      const resolved = await alarms.resolve(a.id, now);
      if (!resolved) continue; // another instance did
      out.resolved.push(resolved);
      await this.tell(resolved, 'resolved', resolution);
    }
    await this.changed([...out.raised, ...out.resolved]);
    if (out.raised.length || out.reraised.length || out.resolved.length)
      this.options.logger.info(
        `recording alarms: ${out.raised.length} raised, ${out.reraised.length} re-raised, ${out.resolved.length} resolved`,
      );
    return out;
  }

  private async allNumbers(): Promise<Map<string, NumberRecord>> {
    const out = new Map<string, NumberRecord>();
    for (let offset = 0; ; ) {
      const page = await this.options.numbers.list({ limit: 1000, offset });
      for (const n of page.items) out.set(n.id, n);
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) return out;
    }
  }

  /**
   * Numbers expected to be recorded (MVR active, professional mode by schedule or manual
   * status) for `expectedHours` since their last recorded call (or since they were
   * added) without one. The schedule and status are today's (there is no history of
   * settings): a number now in private mode or off its schedule accrues nothing.
   */
  private async silentNumbers(
    numbers: Map<string, NumberRecord>,
    now: Date,
  ): Promise<AlarmFinding[]> {
    const threshold = this.options.config.silentNumber.expectedHours;
    const active = [...numbers.values()].filter(n => n.mvrActive);
    const last = await this.options.signals.lastRecordedCallOf(
      active.map(n => n.id),
      new Date(now.getTime() - RECENT_CALL_MS),
    );
    const out: AlarmFinding[] = [];
    const lookback = now.getTime() - SILENT_LOOKBACK_MS;
    for (const n of active) {
      const lastCall = last.get(n.id);
      const since = Math.max(Date.parse(lastCall ?? n.createdAt), lookback);
      if (!(since < now.getTime())) continue;
      const crossed = instantWhenExpectedSecondsReached(
        n,
        since,
        threshold * 3600,
        now,
      );
      if (!crossed) continue;
      // whole hours: the alarm's figures change (and are written) once an hour at most
      const silentHours = Math.floor(
        expectedRecordingSeconds(n, since, now) / 3600,
      );
      out.push({
        kind: 'silent-number',
        severity: 'failed',
        numberId: n.id,
        number: n.number,
        summary: `No recorded call for ${silentHours} expected-recording hours (threshold ${threshold}); ${
          lastCall ? `last recorded call ${lastCall}` : 'no recorded call yet'
        }`,
        figures: {
          silentExpectedHours: silentHours,
          thresholdHours: threshold,
          lastRecordedCallAt: lastCall ?? 'never',
          thresholdCrossedAt: crossed.toISOString(),
        },
      });
    }
    return out;
  }

  /** Numbers whose share of refused calls (problem reasons only) is over the threshold. */
  private async refusals(
    numbers: Map<string, NumberRecord>,
    now: Date,
  ): Promise<AlarmFinding[]> {
    const c = this.options.config.refusals;
    const since = new Date(now.getTime() - c.windowHours * HOUR_MS);
    const refused = await this.options.signals.refusalsSince(
      since,
      now,
      c.ignoredReasons,
    );
    if (refused.size === 0) return [];
    const recorded = await this.options.signals.recordedCallsSince(since, now);
    const out: AlarmFinding[] = [];
    for (const [numberId, byReason] of refused) {
      const n = numbers.get(numberId);
      if (!n) continue;
      const count = Object.values(byReason).reduce((s, x) => s + x, 0);
      const calls = count + (recorded.get(numberId) ?? 0);
      const share = count / calls;
      if (count < c.minRefused || share < c.share) continue;
      const reasons = Object.entries(byReason)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([r, x]) => `${r} ${x}`)
        .join(', ');
      out.push({
        kind: 'refusals',
        severity: share >= 0.5 ? 'failed' : 'warning',
        numberId,
        number: n.number,
        summary: `${count} of ${plural(calls, 'call')} refused in the last ${
          c.windowHours
        } hours (${percent(share)}, threshold ${percent(c.share)}): ${reasons}`,
        figures: {
          refusedCalls: count,
          calls,
          share: Math.round(share * 1000) / 1000,
          thresholdShare: c.share,
          windowHours: c.windowHours,
          ...Object.fromEntries(
            Object.entries(byReason).map(([r, x]) => [`refused:${r}`, x]),
          ),
        },
      });
    }
    return out;
  }

  /** Numbers whose last N checked calls failed, or too large a share of them. */
  private async failedQuality(
    numbers: Map<string, NumberRecord>,
    now: Date,
  ): Promise<AlarmFinding[]> {
    const c = this.options.config.failedQuality;
    const since = new Date(now.getTime() - c.windowHours * HOUR_MS);
    const verdicts = await this.options.signals.verdictsSince(since, now);
    const out: AlarmFinding[] = [];
    for (const [numberId, list] of verdicts) {
      const n = numbers.get(numberId);
      if (!n) continue;
      let run = 0;
      while (run < list.length && list[run] === 'failed') run++;
      const failed = list.filter(v => v === 'failed').length;
      const share = failed / list.length;
      const inARow = run >= c.consecutive;
      if (!inARow && !(list.length >= c.minCalls && share >= c.share)) continue;
      out.push({
        kind: 'failed-quality',
        severity: 'failed',
        numberId,
        number: n.number,
        summary: `${
          inARow
            ? `The last ${plural(run, 'checked call')} failed the quality check`
            : `${percent(
                share,
              )} of the checked calls failed the quality check (threshold ${percent(
                c.share,
              )})`
        } (${failed} of ${list.length} in the last ${c.windowHours} hours)`,
        figures: {
          failedInARow: run,
          failedCalls: failed,
          checkedCalls: list.length,
          consecutiveThreshold: c.consecutive,
          thresholdShare: c.share,
          windowHours: c.windowHours,
        },
      });
    }
    return out;
  }

  /**
   * Recorder instances (conversations' capture instance) that took no call for
   * `idleMinutes` while their peers took at least `minPeerCalls`: only when several run.
   */
  private async idleRecorders(now: Date): Promise<AlarmFinding[]> {
    const c = this.options.config.idleRecorder;
    const windowSince = new Date(now.getTime() - c.idleMinutes * 60_000);
    const activity = await this.options.signals.recorderActivity(
      new Date(
        now.getTime() -
          Math.max(RECORDER_LOOKBACK_MS, c.idleMinutes * 60_000 * 2),
      ),
      windowSince,
      now,
    );
    if (activity.length < 2) return [];
    const out: AlarmFinding[] = [];
    const total = activity.reduce((s, a) => s + a.calls, 0);
    for (const a of activity) {
      if (a.calls > 0) continue;
      const peerCalls = total - a.calls;
      if (peerCalls < c.minPeerCalls) continue;
      const idleMinutes = Math.floor(
        (now.getTime() - Date.parse(a.lastCallAt)) / 60_000,
      );
      out.push({
        kind: 'idle-recorder',
        severity: 'warning',
        recorderInstance: a.instance,
        summary: `Recorder ${a.instance} took no call for ${idleMinutes} minutes while its peers took ${peerCalls} (threshold ${c.idleMinutes} minutes)`,
        figures: {
          idleMinutes,
          peerCalls,
          thresholdMinutes: c.idleMinutes,
          lastCallAt: a.lastCallAt,
        },
      });
    }
    return out;
  }

  /**
   * Why an unresolved alarm whose problem was not found again is resolved, or undefined
   * to keep it: a silent number is resolved as soon as it is not silent anymore; the
   * other kinds only once calls show the problem is gone (a number that makes no call
   * at all keeps its refusals or failed-quality alarm).
   */
  private async resolution(
    a: RecordingAlarm,
    numbers: Map<string, NumberRecord>,
  ): Promise<string | undefined> {
    const { signals } = this.options;
    const raisedAt = new Date(a.raisedAt);
    if (a.kind === 'idle-recorder') {
      return (await signals.recorderTookCallAfter(
        a.recorderInstance!,
        raisedAt,
      ))
        ? `Recorder ${a.recorderInstance} takes calls again.`
        : undefined;
    }
    const n = a.numberId ? numbers.get(a.numberId) : undefined;
    if (!n) return 'The number is not recorded anymore (deleted).';
    if (!n.mvrActive) return 'Recording (MVR) was turned off for the number.';
    if (a.kind === 'silent-number')
      return (await signals.hasRecordedCallAfter(n.id, raisedAt))
        ? 'Calls are recorded again.'
        : 'The number is not expected to be recorded that long anymore (private mode, schedule or threshold changed).';
    if (a.kind === 'refusals')
      return (await signals.hasRecordedCallAfter(n.id, raisedAt))
        ? 'Calls are recorded again; refusals are under the threshold.'
        : undefined;
    return (await signals.hasPassingCallAfter(n.id, raisedAt))
      ? 'Calls pass the quality check again.'
      : undefined;
  }

  private auditFacts(a: RecordingAlarm) {
    return {
      kind: a.kind,
      severity: a.severity,
      summary: a.summary,
      ...(a.numberId ? { numberId: a.numberId } : {}),
      ...(a.number ? { number: a.number } : {}),
      ...(a.recorderInstance ? { recorderInstance: a.recorderInstance } : {}),
    };
  }

  private async tell(
    a: RecordingAlarm,
    event: RecordingAlarmEvent,
    resolution?: string,
  ) {
    await this.options.audit.record({
      actor: ACTOR,
      ...EVENT_AUDIT[event],
      targetType: 'recording-alarm',
      targetId: a.id,
      details: {
        ...this.auditFacts(a),
        ...(resolution ? { resolution } : {}),
      },
    });
    await this.options.notifier.notify(a, event, resolution);
  }

  private async changed(alarms: RecordingAlarm[]) {
    const numberIds = [
      ...new Set(alarms.flatMap(a => (a.numberId ? [a.numberId] : []))),
    ];
    if (numberIds.length === 0 || !this.options.onChange) return;
    try {
      await this.options.onChange({ numberIds });
    } catch (e) {
      this.options.logger.warn(`recording alarms change listener failed: ${e}`);
    }
  }
}
