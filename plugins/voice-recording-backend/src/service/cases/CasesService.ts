import { Case, Label } from '@mvr/plugin-voice-recording-common';
import { JsonObject } from '@backstage/types';
import { CaseInput, CasesStore, LabelInput } from '../../database/CasesStore';
import { Actor, AuditRecorder } from '../AuditRecorder';

const caseAudit = (c: Case): JsonObject => ({
  title: c.title,
  status: c.status,
  ownerRef: c.ownerRef,
  labelId: c.label.id,
  labelTitle: c.label.title,
  access: JSON.parse(JSON.stringify(c.access)),
});

/** Cases and labels: every change audited (`case-*`, `label-*`). */
export class CasesService {
  constructor(
    private readonly store: CasesStore,
    private readonly audit: AuditRecorder,
  ) {}

  /** All labels, or (`viewerClaims`) those of the cases that show themselves to them. */
  listLabels(viewerClaims?: string[]) {
    return this.store.listLabels(viewerClaims);
  }

  async createLabel(actor: Actor, input: LabelInput): Promise<Label> {
    const label = await this.store.createLabel(input, actor.ref);
    await this.audit.record({
      actor,
      action: 'label-create',
      targetType: 'label',
      targetId: label.id,
      details: { title: label.title, colour: label.colour },
    });
    return label;
  }

  async updateLabel(
    actor: Actor,
    id: string,
    patch: Partial<LabelInput>,
  ): Promise<Label> {
    const before = await this.store.getLabel(id);
    const label = await this.store.updateLabel(id, patch);
    await this.audit.record({
      actor,
      action: 'label-update',
      targetType: 'label',
      targetId: label.id,
      details: {
        before: { title: before!.title, colour: before!.colour },
        after: { title: label.title, colour: label.colour },
      },
    });
    return label;
  }

  /** All cases, or (`viewerClaims`) those that show themselves to them. */
  listCases(filter: { status?: Case['status']; viewerClaims?: string[] }) {
    return this.store.listCases(filter);
  }

  /** The open cases' ids and titles, for the request form (every signed-in user). */
  listRequestableCases() {
    return this.store.listRequestableCases();
  }

  /** A case; with `viewerClaims`, only if it shows itself to them. */
  async getCase(id: string, viewerClaims?: string[]) {
    if (!viewerClaims) return this.store.getCase(id);
    return (await this.store.listCases({ id, viewerClaims }))[0];
  }

  async createCase(
    actor: Actor,
    input: CaseInput & { labelId?: string; newLabel?: LabelInput },
  ): Promise<Case> {
    const { case: created, createdLabel } = await this.store.createCase({
      ...input,
      ownerRef: actor.ref,
    });
    if (createdLabel)
      await this.audit.record({
        actor,
        action: 'label-create',
        targetType: 'label',
        targetId: createdLabel.id,
        details: {
          title: createdLabel.title,
          colour: createdLabel.colour,
          caseId: created.id,
        },
      });
    await this.audit.record({
      actor,
      action: 'case-create',
      targetType: 'case',
      targetId: created.id,
      details: caseAudit(created),
    });
    return created;
  }

  async updateCase(
    actor: Actor,
    id: string,
    patch: Partial<CaseInput>,
  ): Promise<Case> {
    const before = await this.store.getCase(id);
    const after = await this.store.updateCase(id, patch);
    await this.audit.record({
      actor,
      action:
        after.status === 'closed' && before?.status !== 'closed'
          ? 'case-close'
          : 'case-update',
      targetType: 'case',
      targetId: id,
      details: {
        before: before ? caseAudit(before) : null,
        after: caseAudit(after),
      },
    });
    return after;
  }
}
