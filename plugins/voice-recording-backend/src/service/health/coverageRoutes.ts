import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { voiceRecordingHealthReadPermission } from '@mvr/plugin-voice-recording-common';
import express, { Request } from 'express';
import { AccessControl } from '../AccessControl';
import { Actor, actorRefOf, AuditRecorder } from '../AuditRecorder';
import { parseInput } from '../errors';
import {
  assuranceReportCsv,
  assuranceReportHtml,
  lastCompleteDay,
} from './assuranceReport';
import {
  healthNumbersQuerySchema,
  healthPeriodSchema,
  healthReportQuerySchema,
} from './coverageSchemas';
import { OwnerGroups } from './OwnerGroups';
import { Period, RecordingHealthService } from './RecordingHealthService';

export interface CoverageRoutesOptions {
  httpAuth: HttpAuthService;
  access: AccessControl;
  audit: AuditRecorder;
  health: RecordingHealthService;
  ownerGroups: OwnerGroups;
}

/**
 * The coverage routes of docs/api.md "Recording health": summary, numbers (attention
 * first), one number per day, and the daily assurance report. Each needs
 * `voice-recording.health.read` (admins); a refusal is audited, the report's reading too.
 */
export function addCoverageRoutes(
  router: express.Router,
  options: CoverageRoutesOptions,
) {
  const { httpAuth, access, audit, health, ownerGroups } = options;

  const actorOf = async (req: Request): Promise<Actor> => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const actor = { credentials, ref: actorRefOf(credentials), request: req };
    await access.require(actor, voiceRecordingHealthReadPermission);
    return actor;
  };

  /** The period asked; `from` alone must not be after today. */
  const periodOf = (q: { from?: string; to?: string }): Period => {
    const p = health.period(q.from, q.to);
    if (p.from > p.to)
      throw new InputError(`from: must not be after ${p.to} (today)`);
    return p;
  };

  router.get('/health/summary', async (req, res) => {
    const actor = await actorOf(req);
    const q = parseInput(healthPeriodSchema, req.query, 'query');
    res.json(await health.summary(periodOf(q), actor.credentials));
  });

  router.get('/health/numbers', async (req, res) => {
    const actor = await actorOf(req);
    const q = parseInput(healthNumbersQuerySchema, req.query, 'query');
    const p = periodOf(q);
    res.json(
      await health.list({ ...q, from: p.from, to: p.to }, actor.credentials),
    );
  });

  router.get('/health/numbers/:id', async (req, res) => {
    const actor = await actorOf(req);
    const q = parseInput(healthPeriodSchema, req.query, 'query');
    res.json(
      await health.detail(req.params.id, periodOf(q), actor.credentials),
    );
  });

  router.get('/health/report', async (req, res) => {
    const actor = await actorOf(req);
    const q = parseInput(healthReportQuerySchema, req.query, 'query');
    const now = health.now();
    const day = q.day ?? lastCompleteDay(now, health.timeZone);
    if (day > health.today())
      throw new InputError(`day: ${day} is after today (${health.today()})`);
    const directory = await ownerGroups.directory(actor.credentials);
    const ownerNames = new Map<string, string>();
    for (const [ref, entry] of directory)
      if (entry.displayName) ownerNames.set(ref, entry.displayName);
    const report = await health.report(day, ownerNames);
    // reading the evidence is an access: audited like the other reads of the trail
    await audit.record({
      actor,
      action: 'health-report-read',
      targetType: 'recording-health-report',
      targetId: day,
      details: {
        day,
        format: q.format,
        numbers: report.totals.numbers,
        alarms: report.totals.alarms,
      },
      severity: 'low',
    });
    if (q.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`recording-assurance-${day}.csv`)
        .send(assuranceReportCsv(report));
      return;
    }
    res
      .type('text/html; charset=utf-8')
      // a standalone page: its own inline style, nothing else loads or runs
      .set(
        'Content-Security-Policy',
        "default-src 'none'; style-src 'unsafe-inline'",
      )
      .set(
        'Content-Disposition',
        `inline; filename="recording-assurance-${day}.html"`,
      )
      .send(assuranceReportHtml(report));
  });
}
