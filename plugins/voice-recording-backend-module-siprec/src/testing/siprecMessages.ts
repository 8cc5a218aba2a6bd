/*
 * Builders of SIPREC requests for the test SRC client: multipart SDP + rs-metadata
 * bodies with configurable labels, participants, codecs and directions.
 */
export interface OfferStream {
  label: string;
  /** Where the SRC says it sends from (the recorder accepts media from anywhere). */
  port: number;
  /** RTP/AVP payload types offered, default PCMA, PCMU, G729, telephone-event. */
  payloads?: number[];
  direction?: 'sendonly' | 'inactive' | 'sendrecv';
}

const RTPMAP: Record<number, string> = {
  0: 'PCMU/8000',
  8: 'PCMA/8000',
  9: 'G722/8000',
  13: 'CN/8000',
  18: 'G729/8000',
  101: 'telephone-event/8000',
};

export function buildOfferSdp(streams: OfferStream[], options: { address?: string; version?: number } = {}): string {
  const ip = options.address ?? '127.0.0.1';
  const lines = ['v=0', `o=SRC 1700000000 ${options.version ?? 1} IN IP4 ${ip}`, 's=SIPREC test', `c=IN IP4 ${ip}`, 't=0 0'];
  for (const s of streams) {
    const pts = s.payloads ?? [8, 0, 18, 101];
    lines.push(`m=audio ${s.port} RTP/AVP ${pts.join(' ')}`);
    for (const pt of pts) if (RTPMAP[pt]) lines.push(`a=rtpmap:${pt} ${RTPMAP[pt]}`);
    if (pts.includes(101)) lines.push('a=fmtp:101 0-15');
    lines.push('a=ptime:20', `a=${s.direction ?? 'sendonly'}`, `a=label:${s.label}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

export interface MetadataParty {
  aor: string;
  name?: string;
  /** label of the stream this participant sends */
  sends: string;
}

/** RFC 7865 metadata: one session, participants sending one stream each. */
export function buildMetadata(parties: MetadataParty[], options: { extensionData?: string; sessionId?: string } = {}): string {
  const sid = options.sessionId ?? 'c2Vzc2lvbi0x';
  const streamId = (label: string) => `stream-${label}`;
  const labels = [...new Set(parties.map(p => p.sends))];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<recording xmlns="urn:ietf:params:xml:ns:recording:1">',
    '  <datamode>complete</datamode>',
    `  <session session_id="${sid}"><start-time>${new Date().toISOString()}</start-time></session>`,
    ...parties.map(
      (p, i) =>
        `  <participant participant_id="p${i}"><nameID aor="${p.aor}">${p.name ? `<name>${p.name}</name>` : ''}</nameID></participant>`,
    ),
    ...labels.map(l => `  <stream stream_id="${streamId(l)}" session_id="${sid}"><label>${l}</label></stream>`),
    ...parties.map(
      (p, i) =>
        `  <participantstreamassoc participant_id="p${i}"><send>${streamId(p.sends)}</send>${labels
          .filter(l => l !== p.sends)
          .map(l => `<recv>${streamId(l)}</recv>`)
          .join('')}</participantstreamassoc>`,
    ),
    ...(options.extensionData ? [`  <extensiondata>${options.extensionData}</extensiondata>`] : []),
    '</recording>',
    '',
  ].join('\r\n');
}

export function buildMultipart(sdp: string, metadata: string, boundary = 'mvr-boundary'): { contentType: string; body: string } {
  const body = [
    `--${boundary}`,
    'Content-Type: application/sdp',
    'Content-Disposition: session;handling=required',
    '',
    sdp.replace(/\r\n$/, ''),
    `--${boundary}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    metadata.replace(/\r\n$/, ''),
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return { contentType: `multipart/mixed;boundary=${boundary}`, body };
}
