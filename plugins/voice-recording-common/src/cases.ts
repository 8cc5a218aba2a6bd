/**
 * Cases, labels and access requests (issue 17): a case gathers conversations by a
 * label; its access settings and approved access requests decide who may list, play
 * back and (un)label its conversations.
 */

/** `open` cases grant their rights; `closed` cases grant none (only admins see their calls). */
export type CaseStatus = 'open' | 'closed';
export const CASE_STATUSES: readonly CaseStatus[] = ['open', 'closed'];

/** Who may list / play back a case's conversations besides its owner and granted requesters. */
export type CaseAccessMode = 'none' | 'selected' | 'everyone';
export const CASE_ACCESS_MODES: readonly CaseAccessMode[] = [
  'none',
  'selected',
  'everyone',
];

/** Who may add or remove the case's label on conversations besides granted requesters. */
export type CaseLabelMode = 'owner' | 'selected';
export const CASE_LABEL_MODES: readonly CaseLabelMode[] = ['owner', 'selected'];

/** A right on a case's conversations: list (search, count, details), play back, (un)label. */
export type CaseRight = 'list' | 'playback' | 'label';
export const CASE_RIGHTS: readonly CaseRight[] = ['list', 'playback', 'label'];

/** A coloured label; a conversation belongs to a case by carrying the case's label. */
export interface Label {
  id: string;
  title: string;
  /** `#rrggbb` */
  colour: string;
  /** The case whose label it is, if any. */
  caseId?: string;
  createdAt: string;
  updatedAt: string;
}

/** One access setting: a mode and, for `selected`, the users and groups (entity refs). */
export interface CaseAccessSetting<M extends string = CaseAccessMode> {
  mode: M;
  /** Lower-case entity refs (`user:default/bob`, `group:default/trading`); empty unless `selected`. */
  refs: string[];
}

export interface CaseAccess {
  list: CaseAccessSetting;
  playback: CaseAccessSetting;
  label: CaseAccessSetting<CaseLabelMode>;
}

export interface Case {
  id: string;
  title: string;
  description: string;
  status: CaseStatus;
  /** The admin who created it (entity ref). */
  ownerRef: string;
  label: Pick<Label, 'id' | 'title' | 'colour'>;
  access: CaseAccess;
  createdAt: string;
  updatedAt: string;
}

/**
 * `expired`: undecided at its expiration date, or approved and past it (the access
 * ended); `revoked`: approved, then revoked by an admin (the access ended at once).
 */
export type AccessRequestState =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'revoked';
export const ACCESS_REQUEST_STATES: readonly AccessRequestState[] = [
  'pending',
  'approved',
  'rejected',
  'expired',
  'revoked',
];

export interface AccessRequest {
  id: string;
  caseId: string;
  caseTitle: string;
  requesterRef: string;
  reason: string;
  rights: CaseRight[];
  /** ISO 8601: undecided by then, the request expires; approved, the access ends then. */
  expiresAt: string;
  state: AccessRequestState;
  createdAt: string;
  decidedBy?: string;
  decidedAt?: string;
  /** The approver's comment (required for a rejection). */
  decisionComment?: string;
  revokedBy?: string;
  revokedAt?: string;
  revokeComment?: string;
  /**
   * The requester's manager, whose approval must come before an admin's (when the
   * backend's `voiceRecording.accessRequests.managerApproval` is on).
   */
  managerRef?: string;
  managerApprovedBy?: string;
  managerApprovedAt?: string;
  managerComment?: string;
}

/** Whether a pending request still waits for its requester's manager. */
export function awaitsManager(r: AccessRequest): boolean {
  return r.state === 'pending' && Boolean(r.managerRef) && !r.managerApprovedAt;
}

/** Where the portal shows one request (the link of the approvers' notification). */
export function accessRequestPath(id: string): string {
  return `/voice-recording/workflows/requests/${encodeURIComponent(id)}`;
}

/** `#rrggbb` (lower or upper case). */
export function isLabelColour(value: string): boolean {
  return /^#[0-9a-fA-F]{6}$/.test(value);
}

/**
 * The state of a request at `now`: a pending or approved request whose expiration date
 * has passed is `expired`, whatever its stored state (the sweep that records the expiry
 * may not have run yet).
 */
export function accessRequestStateAt(
  stored: AccessRequestState,
  expiresAt: string | Date,
  now: Date,
): AccessRequestState {
  const t =
    typeof expiresAt === 'string' ? Date.parse(expiresAt) : expiresAt.getTime();
  if ((stored === 'pending' || stored === 'approved') && t <= now.getTime())
    return 'expired';
  return stored;
}

/** A label as shown on a conversation (a coloured chip), with its case if it has one. */
export interface ConversationLabel {
  id: string;
  title: string;
  colour: string;
  caseId?: string;
}

/** An approved, unrevoked access request as a grant (its end is the request's expiration). */
export interface CaseGrant {
  requesterRef: string;
  rights: CaseRight[];
  expiresAt: string;
}

/** What decides the rights on one case's conversations, for an in-memory decision. */
export interface CaseAccessFacts {
  caseId: string;
  status: CaseStatus;
  ownerRef: string;
  access: CaseAccess;
  /** Approved and not revoked requests (expired ones may be included: they are ignored). */
  grants: CaseGrant[];
}

/**
 * Whether a case gives a right to one of `claims` (the user's ref and groups) at `now`.
 * The same rule as the SQL visibility filter (docs/permissions.md "Cases"):
 * - a closed case gives nothing;
 * - its owner has every right;
 * - `list`: the list or the playback setting (everyone, or selected with one of the
 *   claims), or an approved unexpired request with the list or playback right
 *   (whoever may play a conversation back may see it listed);
 * - `playback`: the playback setting, or such a request with the playback right;
 * - `label`: the label setting (selected), or such a request with the label right.
 */
export function caseGivesRight(
  facts: CaseAccessFacts,
  right: CaseRight,
  claims: string[],
  now: Date,
): boolean {
  if (facts.status !== 'open') return false;
  const mine = new Set(claims.map(c => c.toLowerCase()));
  if (mine.has(facts.ownerRef.toLowerCase())) return true;
  const selects = (s: CaseAccessSetting<string>) =>
    s.mode === 'everyone' ||
    (s.mode === 'selected' && s.refs.some(r => mine.has(r.toLowerCase())));
  const settingRights: CaseRight[] =
    right === 'list' ? ['list', 'playback'] : [right];
  if (settingRights.some(r => selects(facts.access[r]))) return true;
  return facts.grants.some(
    g =>
      mine.has(g.requesterRef.toLowerCase()) &&
      Date.parse(g.expiresAt) > now.getTime() &&
      g.rights.some(r => settingRights.includes(r)),
  );
}
