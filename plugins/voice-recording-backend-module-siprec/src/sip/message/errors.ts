/**
 * The only error the SIP message layer ever throws. `reason` is short and
 * suitable for the reason phrase of a `400 Bad Request`; `partial` holds what
 * could be parsed before the failure (often enough to address the 400).
 */
export class SipParseError extends Error {
  readonly reason: string;
  readonly partial?: {
    startLine?: string;
    headers?: Array<{ name: string; value: string }>;
  };

  constructor(
    reason: string,
    detail?: string,
    partial?: SipParseError['partial'],
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'SipParseError';
    this.reason = reason;
    this.partial = partial;
  }
}
