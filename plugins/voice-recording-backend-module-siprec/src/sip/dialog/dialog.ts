import { SipParseError, SipRequest, parseCSeq, parseNameAddr } from '../message';

export type DialogState = 'early' | 'confirmed' | 'terminated';

export type RequestCheck =
  | { ok: true }
  | { ok: false; status: number; reason: string };

/** Dialog identifier seen from our side (we are the UAS). */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

export function dialogKey(id: DialogId): string {
  return `${id.callId}|${id.localTag}|${id.remoteTag}`;
}

/** The dialog an in-dialog request belongs to: our tag is in To, theirs in From. */
export function dialogIdOfRequest(req: SipRequest): DialogId | undefined {
  try {
    const to = parseNameAddr(req.headers.get('To') ?? '');
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const localTag = to.params.get('tag');
    const callId = req.headers.get('Call-ID');
    if (!localTag || !callId) return undefined;
    return { callId, localTag, remoteTag: from.params.get('tag') ?? '' };
  } catch (e) {
    if (e instanceof SipParseError) return undefined;
    throw e;
  }
}

/** Requests that refresh the remote target (RFC 3261 §12.2.2, RFC 3311). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE']);

/**
 * UAS dialog state (RFC 3261 §12): identifiers, remote target, route set,
 * CSeq ordering of in-dialog requests.
 */
export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly routeSet: string[];
  remoteTarget: string;
  remoteSeq: number;
  localSeq: number;
  state: DialogState = 'early';
  /** CSeq of the INVITE transaction that is (re-)establishing the session. */
  inviteSeq: number;

  private constructor(init: {
    callId: string;
    localTag: string;
    remoteTag: string;
    localUri: string;
    remoteUri: string;
    routeSet: string[];
    remoteTarget: string;
    remoteSeq: number;
  }) {
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.routeSet = init.routeSet;
    this.remoteTarget = init.remoteTarget;
    this.remoteSeq = init.remoteSeq;
    this.inviteSeq = init.remoteSeq;
    this.localSeq = 0;
  }

  /** Creates the UAS side of a dialog from an INVITE (throws SipParseError when unusable). */
  static fromInvite(invite: SipRequest, localTag: string): Dialog {
    const from = parseNameAddr(invite.headers.get('From') ?? '');
    const to = parseNameAddr(invite.headers.get('To') ?? '');
    const callId = invite.headers.get('Call-ID');
    if (!callId) throw new SipParseError('Missing Call-ID header');
    const contact = invite.headers.getAll('Contact')[0];
    if (!contact) throw new SipParseError('Missing Contact header', 'an INVITE must carry a Contact');
    return new Dialog({
      callId,
      localTag,
      remoteTag: from.params.get('tag') ?? '',
      localUri: to.uri,
      remoteUri: from.uri,
      routeSet: invite.headers.getAll('Record-Route'),
      remoteTarget: parseNameAddr(contact).uri,
      remoteSeq: parseCSeq(invite.headers.get('CSeq') ?? '').seq,
    });
  }

  get id(): DialogId {
    return { callId: this.callId, localTag: this.localTag, remoteTag: this.remoteTag };
  }

  get key(): string {
    return dialogKey(this.id);
  }

  confirm(): void {
    if (this.state === 'early') this.state = 'confirmed';
  }

  terminate(): void {
    this.state = 'terminated';
  }

  nextLocalSeq(): number {
    this.localSeq = this.localSeq === 0 ? 1 : this.localSeq + 1;
    return this.localSeq;
  }

  /**
   * Checks and applies an in-dialog request (RFC 3261 §12.2.2): CSeq must
   * increase (ACK and CANCEL reuse the INVITE's number); a target refresh
   * updates the remote target from Contact.
   */
  checkRequest(req: SipRequest): RequestCheck {
    if (this.state === 'terminated') {
      return { ok: false, status: 481, reason: 'Call/Transaction Does Not Exist' };
    }
    let seq: number;
    try {
      seq = parseCSeq(req.headers.get('CSeq') ?? '').seq;
    } catch {
      return { ok: false, status: 400, reason: 'Bad CSeq header' };
    }
    if (req.method === 'ACK' || req.method === 'CANCEL') {
      return { ok: true };
    }
    if (seq <= this.remoteSeq) {
      return { ok: false, status: 500, reason: 'CSeq out of order' };
    }
    this.remoteSeq = seq;
    if (req.method === 'INVITE') this.inviteSeq = seq;
    if (TARGET_REFRESH.has(req.method)) {
      const contact = req.headers.getAll('Contact')[0];
      if (contact) {
        try {
          this.remoteTarget = parseNameAddr(contact).uri;
        } catch {
          return { ok: false, status: 400, reason: 'Bad Contact header' };
        }
      }
    }
    return { ok: true };
  }
}

/** Dialogs by identifier. */
export class DialogStore {
  private readonly dialogs = new Map<string, Dialog>();

  add(dialog: Dialog): void {
    this.dialogs.set(dialog.key, dialog);
  }

  get size(): number {
    return this.dialogs.size;
  }

  find(id: DialogId): Dialog | undefined {
    return this.dialogs.get(dialogKey(id));
  }

  findForRequest(req: SipRequest): Dialog | undefined {
    const id = dialogIdOfRequest(req);
    return id ? this.find(id) : undefined;
  }

  remove(dialog: Dialog): void {
    this.dialogs.delete(dialog.key);
  }

  all(): Dialog[] {
    return [...this.dialogs.values()];
  }
}
