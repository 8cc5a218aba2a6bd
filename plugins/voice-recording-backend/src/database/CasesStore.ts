import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  isAndCriteria,
  isNotCriteria,
  isOrCriteria,
} from '@backstage/plugin-permission-node';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import {
  Case,
  CaseAccess,
  CaseAccessFacts,
  CaseGrant,
  CaseRight,
  CaseStatus,
  ConversationLabel,
  Label,
} from '@mvr/plugin-voice-recording-common';
import { CaseQuery, ConversationQuery } from '@mvr/plugin-voice-recording-node';
import { Knex } from 'knex';
import { chunk, SQL_VARIABLE_LIMIT, toBool, toIso } from './util';

const MODE_COLUMN: Record<CaseRight, string> = {
  list: 'list_mode',
  playback: 'playback_mode',
  label: 'label_mode',
};

/**
 * WHERE clause on the case alias `c` (a row of vr_cases): "the case gives `right` to
 * one of `claims` at `now`". The same rule as `caseGivesRight` of -common: an open
 * case; its owner; the setting (everyone, or selected naming one of the claims; the
 * list right also through the playback setting); or an approved request of one of the
 * claims with the right (list: list or playback) whose expiration is after `now`.
 */
export function whereCaseGivesRight(
  qb: Knex.QueryBuilder,
  right: CaseRight,
  claims: string[],
  now: Date,
  c = 'c',
): void {
  const rights: CaseRight[] = right === 'list' ? ['list', 'playback'] : [right];
  const refs = claims.map(r => r.toLowerCase());
  qb.where(`${c}.status`, 'open').where(b => {
    b.whereIn(`${c}.owner_ref`, refs);
    for (const r of rights) {
      if (r !== 'label') b.orWhere(`${c}.${MODE_COLUMN[r]}`, 'everyone');
      b.orWhere(bb =>
        bb
          .where(`${c}.${MODE_COLUMN[r]}`, 'selected')
          .whereExists(function members(this: Knex.QueryBuilder) {
            this.select('m.case_id')
              .from('vr_case_members as m')
              .whereRaw(`m.case_id = ${c}.id`)
              .where('m.access_right', r)
              .whereIn('m.entity_ref', refs);
          }),
      );
    }
    b.orWhereExists(function grants(this: Knex.QueryBuilder) {
      this.select('g.id')
        .from('vr_access_requests as g')
        .whereRaw(`g.case_id = ${c}.id`)
        .where('g.state', 'approved')
        .where('g.expires_at', '>', now)
        .whereIn('g.requester_ref', refs)
        .where(w => {
          for (const r of rights) w.orWhere(`g.right_${r}`, true);
        });
    });
  });
}

/**
 * WHERE clause on the case alias `c`: "the case shows itself to one of `claims` at
 * `now`": an open case that gives them the list right (which the playback right
 * includes) or the label right. Whoever has none of them does not learn of the case
 * (its title, its label, that a call is in it), except its title when requesting
 * access (`listRequestableCases`).
 */
export function whereCaseVisibleTo(
  qb: Knex.QueryBuilder,
  claims: string[],
  now: Date,
  c = 'c',
): void {
  qb.where(b =>
    b
      .where(bb => whereCaseGivesRight(bb, 'list', claims, now, c))
      .orWhere(bb => whereCaseGivesRight(bb, 'label', claims, now, c)),
  );
}

/**
 * The claims (user and group refs) of the case rules in a conversation criteria: whose
 * case rights a conditional decision stands for; [] when it has no case rule.
 */
export function caseClaimsOf(
  criteria: PermissionCriteria<ConversationQuery>,
): string[] {
  if (isAndCriteria(criteria)) return criteria.allOf.flatMap(caseClaimsOf);
  if (isOrCriteria(criteria)) return criteria.anyOf.flatMap(caseClaimsOf);
  if (isNotCriteria(criteria)) return [];
  return criteria.property === 'caseRight' ? criteria.claims : [];
}

/** A case permission criteria (conditional decision) as a WHERE clause on alias `c`. */
export function applyCaseCriteria(
  qb: Knex.QueryBuilder,
  criteria: PermissionCriteria<CaseQuery>,
  now: Date = new Date(),
): void {
  if (isAndCriteria(criteria)) {
    qb.where(b => {
      for (const sub of criteria.allOf)
        b.andWhere(bb => applyCaseCriteria(bb, sub, now));
    });
  } else if (isOrCriteria(criteria)) {
    qb.where(b => {
      for (const sub of criteria.anyOf)
        b.orWhere(bb => applyCaseCriteria(bb, sub, now));
    });
  } else if (isNotCriteria(criteria)) {
    qb.whereNot(b => applyCaseCriteria(b, criteria.not, now));
  } else if (criteria.property === 'owner') {
    if (criteria.values.length === 0) qb.whereRaw('1 = 0');
    else
      qb.whereIn(
        'c.owner_ref',
        criteria.values.map(v => v.toLowerCase()),
      );
  } else if (criteria.property === 'labelRight') {
    whereCaseGivesRight(qb, 'label', criteria.claims, now);
  } else {
    throw new Error(
      `unsupported case permission query ${JSON.stringify(criteria)}`,
    );
  }
}

export interface LabelInput {
  title: string;
  colour: string;
}

export interface CaseInput {
  title: string;
  description: string;
  status: CaseStatus;
  access: CaseAccess;
}

type LabelRow = {
  id: string;
  title: string;
  colour: string;
  case_id?: string | null;
  created_at: unknown;
  updated_at: unknown;
};

function labelFromRow(r: LabelRow): Label {
  return {
    id: r.id,
    title: r.title,
    colour: r.colour,
    ...(r.case_id ? { caseId: r.case_id } : {}),
    createdAt: toIso(r.created_at),
    updatedAt: toIso(r.updated_at),
  };
}

const isUniqueViolation = (e: unknown) =>
  /unique|duplicate/i.test(String((e as Error)?.message ?? e));

/** Cases, labels, the labels of conversations; the grants of access requests (read). */
export class CasesStore {
  constructor(private readonly db: Knex) {}

  // ---- labels
  /**
   * Every label (admins); with `viewerClaims` (a standard user's refs), only the labels
   * of the cases that show themselves to them (`whereCaseVisibleTo`): no label of no
   * case, none at all for no claims.
   */
  async listLabels(viewerClaims?: string[]): Promise<Label[]> {
    if (viewerClaims && viewerClaims.length === 0) return [];
    const rows = await this.db('vr_labels as l')
      .leftJoin('vr_cases as c', 'c.label_id', 'l.id')
      .modify(qb => {
        if (viewerClaims)
          qb.whereNotNull('c.id').where(b =>
            whereCaseVisibleTo(b, viewerClaims, new Date()),
          );
      })
      .select('l.*', 'c.id as case_id')
      .orderBy('l.title');
    return rows.map(labelFromRow);
  }

  async getLabel(id: string, tx: Knex = this.db): Promise<Label | undefined> {
    const row = await tx('vr_labels as l')
      .leftJoin('vr_cases as c', 'c.label_id', 'l.id')
      .select('l.*', 'c.id as case_id')
      .where('l.id', id)
      .first();
    return row ? labelFromRow(row) : undefined;
  }

  async createLabel(
    input: LabelInput,
    actorRef: string,
    tx: Knex = this.db,
  ): Promise<Label> {
    const id = randomUUID();
    const now = new Date();
    try {
      await tx('vr_labels').insert({
        id,
        title: input.title,
        colour: input.colour.toLowerCase(),
        created_by: actorRef,
        created_at: now,
        updated_at: now,
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ConflictError(
          `title: a label "${input.title}" exists already`,
        );
      throw e;
    }
    return (await this.getLabel(id, tx))!;
  }

  async updateLabel(id: string, patch: Partial<LabelInput>): Promise<Label> {
    const existing = await this.getLabel(id);
    if (!existing) throw new NotFoundError(`label ${id} not found`);
    try {
      await this.db('vr_labels')
        .where('id', id)
        .update({
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.colour !== undefined
            ? { colour: patch.colour.toLowerCase() }
            : {}),
          updated_at: new Date(),
        });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ConflictError(
          `title: a label "${patch.title}" exists already`,
        );
      throw e;
    }
    return (await this.getLabel(id))!;
  }

  // ---- cases
  private async casesFromRows(
    rows: any[],
    tx: Knex = this.db,
  ): Promise<Case[]> {
    const ids = rows.map(r => r.id);
    const members = new Map<string, Record<CaseRight, string[]>>();
    for (const part of chunk(ids, SQL_VARIABLE_LIMIT)) {
      const ms = await tx('vr_case_members')
        .whereIn('case_id', part)
        .orderBy('entity_ref');
      for (const m of ms) {
        const entry = members.get(m.case_id) ?? {
          list: [],
          playback: [],
          label: [],
        };
        entry[m.access_right as CaseRight]?.push(m.entity_ref);
        members.set(m.case_id, entry);
      }
    }
    return rows.map(r => {
      const m = members.get(r.id) ?? { list: [], playback: [], label: [] };
      return {
        id: r.id,
        title: r.title,
        description: r.description ?? '',
        status: r.status,
        ownerRef: r.owner_ref,
        label: { id: r.label_id, title: r.label_title, colour: r.label_colour },
        access: {
          list: {
            mode: r.list_mode,
            refs: r.list_mode === 'selected' ? m.list : [],
          },
          playback: {
            mode: r.playback_mode,
            refs: r.playback_mode === 'selected' ? m.playback : [],
          },
          label: {
            mode: r.label_mode,
            refs: r.label_mode === 'selected' ? m.label : [],
          },
        },
        createdAt: toIso(r.created_at),
        updatedAt: toIso(r.updated_at),
      };
    });
  }

  private casesQuery(tx: Knex = this.db) {
    return tx('vr_cases as c')
      .join('vr_labels as l', 'l.id', 'c.label_id')
      .select('c.*', 'l.title as label_title', 'l.colour as label_colour');
  }

  /**
   * Every case (admins); with `viewerClaims` (a standard user's refs), only those that
   * show themselves to them (`whereCaseVisibleTo`), none for no claims.
   */
  async listCases(
    filter: { status?: CaseStatus; viewerClaims?: string[]; id?: string } = {},
  ): Promise<Case[]> {
    const { viewerClaims } = filter;
    if (viewerClaims && viewerClaims.length === 0) return [];
    const qb = this.casesQuery()
      .orderBy('c.created_at', 'desc')
      .orderBy('c.id');
    if (filter.status) qb.where('c.status', filter.status);
    if (filter.id) qb.where('c.id', filter.id);
    if (viewerClaims)
      qb.where(b => whereCaseVisibleTo(b, viewerClaims, new Date()));
    return this.casesFromRows(await qb);
  }

  /**
   * The open cases one may request access to, by title: their id and title only (what
   * every signed-in user sees in the request form), nothing else of them.
   */
  async listRequestableCases(): Promise<{ id: string; title: string }[]> {
    const rows = await this.db('vr_cases')
      .where('status', 'open')
      .select('id', 'title')
      .orderBy('title')
      .orderBy('id');
    return rows.map((r: any) => ({ id: r.id, title: r.title }));
  }

  /** One case if it exists and the criteria (if any) allow it. */
  async getCase(
    id: string,
    criteria?: PermissionCriteria<CaseQuery>,
    tx: Knex = this.db,
  ): Promise<Case | undefined> {
    const qb = this.casesQuery(tx).where('c.id', id);
    if (criteria) qb.where(b => applyCaseCriteria(b, criteria));
    const rows = await qb;
    return (await this.casesFromRows(rows, tx))[0];
  }

  private async writeMembers(tx: Knex, caseId: string, access: CaseAccess) {
    await tx('vr_case_members').where('case_id', caseId).delete();
    const rows = (['list', 'playback', 'label'] as CaseRight[]).flatMap(right =>
      access[right].mode === 'selected'
        ? [...new Set(access[right].refs.map(r => r.toLowerCase()))].map(
            entity_ref => ({
              case_id: caseId,
              access_right: right,
              entity_ref,
            }),
          )
        : [],
    );
    for (const part of chunk(rows, 300))
      await tx('vr_case_members').insert(part);
  }

  /**
   * Creates a case with an existing label (`labelId`) or a new one (`newLabel`), in one
   * transaction: nothing is written when any part is refused.
   */
  async createCase(
    input: CaseInput & {
      ownerRef: string;
      labelId?: string;
      newLabel?: LabelInput;
    },
  ): Promise<{ case: Case; createdLabel?: Label }> {
    return this.db.transaction(async tx => {
      let labelId = input.labelId;
      let createdLabel: Label | undefined;
      if (input.newLabel) {
        createdLabel = await this.createLabel(
          input.newLabel,
          input.ownerRef,
          tx,
        );
        labelId = createdLabel.id;
      } else {
        const label = labelId ? await this.getLabel(labelId, tx) : undefined;
        if (!label)
          throw new NotFoundError(`labelId: label ${labelId} not found`);
        if (label.caseId)
          throw new ConflictError(
            `labelId: label "${label.title}" is the label of another case`,
          );
      }
      const id = randomUUID();
      const now = new Date();
      await tx('vr_cases').insert({
        id,
        title: input.title,
        description: input.description,
        status: input.status,
        owner_ref: input.ownerRef.toLowerCase(),
        label_id: labelId,
        list_mode: input.access.list.mode,
        playback_mode: input.access.playback.mode,
        label_mode: input.access.label.mode,
        created_at: now,
        updated_at: now,
      });
      await this.writeMembers(tx, id, input.access);
      return { case: (await this.getCase(id, undefined, tx))!, createdLabel };
    });
  }

  async updateCase(id: string, patch: Partial<CaseInput>): Promise<Case> {
    return this.db.transaction(async tx => {
      const existing = await this.getCase(id, undefined, tx);
      if (!existing) throw new NotFoundError(`case ${id} not found`);
      const access = patch.access ?? existing.access;
      await tx('vr_cases')
        .where('id', id)
        .update({
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.description !== undefined
            ? { description: patch.description }
            : {}),
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          list_mode: access.list.mode,
          playback_mode: access.playback.mode,
          label_mode: access.label.mode,
          updated_at: new Date(),
        });
      if (patch.access) await this.writeMembers(tx, id, access);
      return (await this.getCase(id, undefined, tx))!;
    });
  }

  // ---- labels of conversations
  /**
   * The labels of each conversation (only those that carry some). With `viewerClaims`
   * (a standard user's refs), only the labels of open cases that give the viewer the
   * list or the label right: a label tells that a call is in a case, which only those
   * who may see the case's calls learn (an employee does not see that their own call is
   * in an investigation). Without: every label (admins).
   */
  async labelsOf(
    conversationIds: string[],
    viewerClaims?: string[],
  ): Promise<Map<string, ConversationLabel[]>> {
    const out = new Map<string, ConversationLabel[]>();
    for (const part of chunk(
      [...new Set(conversationIds)],
      SQL_VARIABLE_LIMIT,
    )) {
      if (part.length === 0) continue;
      const rows = await this.db('vr_conversation_labels as cl')
        .join('vr_labels as l', 'l.id', 'cl.label_id')
        .leftJoin('vr_cases as c', 'c.label_id', 'l.id')
        .whereIn('cl.conversation_id', part)
        .modify(qb => {
          if (!viewerClaims) return;
          qb.whereNotNull('c.id').where(b =>
            whereCaseVisibleTo(b, viewerClaims, new Date()),
          );
        })
        .select(
          'cl.conversation_id',
          'l.id',
          'l.title',
          'l.colour',
          'c.id as case_id',
        )
        .orderBy('l.title');
      for (const r of rows) {
        const list = out.get(r.conversation_id) ?? [];
        list.push({
          id: r.id,
          title: r.title,
          colour: r.colour,
          ...(r.case_id ? { caseId: r.case_id } : {}),
        });
        out.set(r.conversation_id, list);
      }
    }
    return out;
  }

  /** Adds a label; false when the conversation carries it already. */
  async addConversationLabel(
    conversationId: string,
    labelId: string,
    actorRef: string,
  ): Promise<boolean> {
    const exists = await this.db('vr_conversation_labels')
      .where({ conversation_id: conversationId, label_id: labelId })
      .first();
    if (exists) return false;
    try {
      await this.db('vr_conversation_labels').insert({
        conversation_id: conversationId,
        label_id: labelId,
        added_by: actorRef,
        added_at: new Date(),
      });
    } catch (e) {
      if (isUniqueViolation(e)) return false; // added at the same time by another request
      throw e;
    }
    return true;
  }

  /**
   * Removes a label; false when the conversation did not carry it. Refused (409, naming
   * the hold's reference) while a legal hold on the label stands: the check is part of
   * the DELETE, so a hold placed at the same moment is never undone (docs/legal-hold.md).
   */
  async removeConversationLabel(
    conversationId: string,
    labelId: string,
  ): Promise<boolean> {
    const standing = () =>
      this.db('vr_legal_holds')
        .where('label_id', labelId)
        .whereNot('state', 'released');
    const n = await this.db('vr_conversation_labels')
      .where({ conversation_id: conversationId, label_id: labelId })
      .whereNotExists(standing().select(this.db.raw('1')))
      .delete();
    if (n > 0) return true;
    const hold = await standing().orderBy('placed_at').first();
    if (
      hold &&
      (await this.db('vr_conversation_labels')
        .where({ conversation_id: conversationId, label_id: labelId })
        .first())
    )
      throw new ConflictError(
        `labelId: the label is under legal hold (reference ${hold.reference}): it cannot be removed until the hold is released`,
      );
    return false;
  }

  // ---- facts for in-memory permission decisions (the permission framework's apply)
  async grantsOf(caseIds: string[]): Promise<Map<string, CaseGrant[]>> {
    const out = new Map<string, CaseGrant[]>();
    for (const part of chunk(caseIds, SQL_VARIABLE_LIMIT)) {
      if (part.length === 0) continue;
      const rows = await this.db('vr_access_requests')
        .whereIn('case_id', part)
        .where('state', 'approved');
      for (const r of rows) {
        const rights: CaseRight[] = (
          ['list', 'playback', 'label'] as CaseRight[]
        ).filter(right => toBool(r[`right_${right}`]));
        const list = out.get(r.case_id) ?? [];
        list.push({
          requesterRef: r.requester_ref,
          rights,
          expiresAt: toIso(r.expires_at),
        });
        out.set(r.case_id, list);
      }
    }
    return out;
  }

  /** The access facts of the cases whose label the conversation carries. */
  async accessFactsOf(conversationId: string): Promise<CaseAccessFacts[]> {
    const caseIds = (
      await this.db('vr_conversation_labels as cl')
        .join('vr_cases as c', 'c.label_id', 'cl.label_id')
        .where('cl.conversation_id', conversationId)
        .select('c.id')
    ).map((r: any) => r.id);
    const cases = await this.casesFromRows(
      caseIds.length ? await this.casesQuery().whereIn('c.id', caseIds) : [],
    );
    const grants = await this.grantsOf(caseIds);
    return cases.map(c => ({
      caseId: c.id,
      status: c.status,
      ownerRef: c.ownerRef,
      access: c.access,
      grants: grants.get(c.id) ?? [],
    }));
  }
}
