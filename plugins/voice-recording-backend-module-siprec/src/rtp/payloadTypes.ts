/**
 * Encoding names of the static RTP payload types (RFC 3551 §6, and RFC 1890's G721 for
 * payload type 2, which clients still send): what an undecodable stream is reported as.
 */
const STATIC_PAYLOAD_NAMES: Record<number, string> = {
  0: 'PCMU',
  2: 'G721',
  3: 'GSM',
  4: 'G723',
  5: 'DVI4',
  6: 'DVI4',
  7: 'LPC',
  8: 'PCMA',
  9: 'G722',
  10: 'L16',
  11: 'L16',
  12: 'QCELP',
  13: 'CN',
  14: 'MPA',
  15: 'G728',
  16: 'DVI4',
  17: 'DVI4',
  18: 'G729',
  25: 'CelB',
  26: 'JPEG',
  28: 'nv',
  31: 'H261',
  32: 'MPV',
  33: 'MP2T',
  34: 'H263',
};

/** The encoding name of a static payload type; undefined for dynamic (96-127) and unassigned ones. */
export function staticPayloadName(payloadType: number): string | undefined {
  return STATIC_PAYLOAD_NAMES[payloadType];
}
