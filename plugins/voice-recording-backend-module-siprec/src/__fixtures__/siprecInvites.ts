/**
 * Test fixtures: SIPREC INVITEs shaped like what the field notes describe
 * (several client styles). Written for this project; Content-Length is computed.
 */

export interface InviteFixture {
  name: string;
  /** Whole message as it goes on the wire. */
  wire: Buffer;
  expect: {
    siprec: boolean;
    streams: number;
    labels: string[];
    hasMetadata: boolean;
    participants?: number;
  };
}

function message(
  head: string[],
  body: string,
  eol = '\r\n',
  contentLengthHeader = 'Content-Length',
): Buffer {
  const b = Buffer.from(body, 'utf8');
  return Buffer.concat([
    Buffer.from(
      [...head, `${contentLengthHeader}: ${b.length}`].join(eol) + eol + eol,
      'utf8',
    ),
    b,
  ]);
}

const sdpTwoStreams = (labels: [string, string], ip = '10.0.0.5') =>
  [
    'v=0',
    `o=SRC 1700000000 1700000000 IN IP4 ${ip}`,
    's=SIP Call',
    `c=IN IP4 ${ip}`,
    't=0 0',
    'm=audio 30000 RTP/AVP 8 0 18 101',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:18 G729/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendonly',
    `a=label:${labels[0]}`,
    'm=audio 30002 RTP/AVP 8 0 18 101',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:18 G729/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=ptime:20',
    'a=sendonly',
    `a=label:${labels[1]}`,
    '',
  ].join('\r\n');

export const rfc7865Metadata = (labels: [string, string]) => `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <group group_id="7+OTCyoxTmqmqyA/1weDAg==">
    <associate-time>2024-03-01T09:00:00Z</associate-time>
    <extensiondata xmlns:v="http://example.com/vendor"><v:ucid>00001002341709283200</v:ucid></extensiondata>
  </group>
  <session session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <group-ref>7+OTCyoxTmqmqyA/1weDAg==</group-ref>
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
    <start-time>2024-03-01T09:00:00Z</start-time>
  </session>
  <participant participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <nameID aor="sip:+32470123456@pbx.example.com">
      <name xml:lang="en">Bob Trader</name>
    </nameID>
  </participant>
  <participant participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <nameID aor="sip:0470987654@carrier.example.net"/>
  </participant>
  <stream stream_id="UAAMm5GRQKSCMVvLyl4rFw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>${labels[0]}</label>
  </stream>
  <stream stream_id="i1Pz3to5hGk8fuXl+PbwCw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>${labels[1]}</label>
  </stream>
  <participantsessionassoc participant_id="srfBElmCRp2QB23b7Mpk0w==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <associate-time>2024-03-01T09:00:00Z</associate-time>
  </participantsessionassoc>
  <participantstreamassoc participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <send>UAAMm5GRQKSCMVvLyl4rFw==</send>
    <recv>i1Pz3to5hGk8fuXl+PbwCw==</recv>
  </participantstreamassoc>
  <participantstreamassoc participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <send>i1Pz3to5hGk8fuXl+PbwCw==</send>
    <recv>UAAMm5GRQKSCMVvLyl4rFw==</recv>
  </participantstreamassoc>
</recording>
`;

/** Style A: Require + Contact +sip.src, quoted boundary, SDP first, rs-metadata+xml. */
function styleA(): InviteFixture {
  const boundary = 'uniqueBoundary';
  const body = [
    `--${boundary}`,
    'Content-Type: application/sdp',
    'Content-Disposition: session;handling=required',
    '',
    sdpTwoStreams(['1', '2']),
    `--${boundary}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    rfc7865Metadata(['1', '2']),
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return {
    name: 'style A: 2 streams, SDP first, quoted boundary',
    wire: message(
      [
        'INVITE sip:srs@10.0.0.9:5060 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-a1b2c3;rport',
        'Max-Forwards: 70',
        'From: "SRC" <sip:src@10.0.0.5>;tag=src-tag-1',
        'To: <sip:srs@10.0.0.9>',
        'Call-ID: 8f7a6e5d-4c3b-2a19@10.0.0.5',
        'CSeq: 101 INVITE',
        'Contact: <sip:src@10.0.0.5:5060>;+sip.src',
        'Require: siprec',
        'Supported: timer, replaces',
        'Session-Expires: 1800;refresher=uac',
        'Min-SE: 90',
        'Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO',
        'User-Agent: ExampleSRC/1.0',
        `Content-Type: multipart/mixed;boundary="${boundary}"`,
        'MIME-Version: 1.0',
      ],
      body,
    ),
    expect: {
      siprec: true,
      streams: 2,
      labels: ['1', '2'],
      hasMetadata: true,
      participants: 2,
    },
  };
}

const prefixedMetadata = `<?xml version="1.0" encoding="UTF-8"?>
<tns:recording xmlns:tns="urn:ietf:params:xml:ns:recording">
  <tns:datamode>complete</tns:datamode>
  <tns:session session_id="c2Vzc2lvbjE=">
    <tns:sipSessionID>call-1@pbx</tns:sipSessionID>
  </tns:session>
  <tns:participant participant_id="cDE=">
    <tns:nameID aor="tel:+32 2 555 12 12"/>
  </tns:participant>
  <tns:participant participant_id="cDI=">
    <tns:nameID aor="Extension-12@pbx.example.com"/>
  </tns:participant>
  <tns:stream stream_id="czE=" session_id="c2Vzc2lvbjE="><tns:label>10</tns:label></tns:stream>
  <tns:stream stream_id="czI=" session_id="c2Vzc2lvbjE="><tns:label>20</tns:label></tns:stream>
  <tns:participantstreamassoc participant_id="cDE="><tns:send>czE=</tns:send></tns:participantstreamassoc>
  <tns:participantstreamassoc participant_id="cDI="><tns:send>czI=</tns:send></tns:participantstreamassoc>
  <tns:extensiondata xmlns:x="urn:example:vendor"><x:callType>inbound</x:callType><x:recordedParty>cDI=</x:recordedParty></tns:extensiondata>
</tns:recording>`;

/**
 * Style B: metadata first, unquoted boundary, Content-Disposition before
 * Content-Type, plain application/rs-metadata, prefixed namespace without :1,
 * compact headers, a third part to ignore, trailing space after the closing
 * boundary.
 */
function styleB(): InviteFixture {
  const boundary = 'b1_7f3e9a';
  const sdp = [
    'v=0',
    'o=- 42 1 IN IP4 192.0.2.10',
    's=-',
    't=0 0',
    'm=audio 16384 RTP/AVP 0 8 101',
    'c=IN IP4 192.0.2.10',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendonly',
    'a=label:10',
    'a=rtcp-mux',
    'm=audio 16386 RTP/AVP 0 8 101',
    'c=IN IP4 192.0.2.10',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=sendonly',
    'a=label:20',
    'a=rtcp-mux',
    '',
  ].join('\r\n');
  const body = [
    `--${boundary}`,
    'Content-Disposition: recording-session',
    'Content-Type: application/rs-metadata',
    '',
    prefixedMetadata,
    `--${boundary}`,
    'Content-Disposition: session; handling=required',
    'Content-Type: application/sdp',
    '',
    sdp,
    `--${boundary}`,
    'Content-Type: application/x-vendor-info',
    '',
    'recorded-party=cDI=',
    `--${boundary}-- `,
    '',
  ].join('\r\n');
  return {
    name: 'style B: metadata first, compact headers, prefixed ns, extra part',
    wire: message(
      [
        'INVITE sip:recorder@192.0.2.20;transport=tcp SIP/2.0',
        'v: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKb7',
        'v: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKproxy1;received=192.0.2.1',
        'f: <sip:sbc@192.0.2.10>;tag=991',
        't: <sip:recorder@192.0.2.20>',
        'i: 0b7e1c2d@192.0.2.10',
        'CSeq: 1 INVITE',
        'm: <sip:sbc@192.0.2.10:5060;transport=tcp>; +sip.src',
        'k: siprec,timer',
        'MAX-FORWARDS: 69',
        `c: multipart/mixed; boundary=${boundary}`,
      ],
      body,
      '\r\n',
      'l',
    ),
    expect: {
      siprec: true,
      streams: 2,
      labels: ['10', '20'],
      hasMetadata: true,
      participants: 2,
    },
  };
}

/** Style C: one mixed stream, Contact ;src with a space, LF-only body lines. */
function styleC(): InviteFixture {
  const boundary = 'MIME_boundary';
  const sdp = [
    'v=0',
    'o=rec 1 1 IN IP4 198.51.100.7',
    's=rec',
    'c=IN IP4 198.51.100.7',
    't=0 0',
    'm=audio 40000 RTP/AVP 9 101 13',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=rtpmap:13 CN/8000',
    'a=ptime:30',
    'a=sendonly',
    'a=label:a_leg',
    '',
  ].join('\n');
  const meta = `<?xml version="1.0"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
<datamode>complete</datamode>
<session session_id="U1=="><sipSessionID>xyz</sipSessionID></session>
<participant participant_id="QQ=="><nameID aor="sip:32470111222@pbx"/></participant>
<participant participant_id="Qg=="><nameID aor="sip:+442071234567@trunk"/></participant>
<stream stream_id="TQ==" session_id="U1=="><label>a_leg</label></stream>
<participantstreamassoc participant_id="QQ=="><send>TQ==</send></participantstreamassoc>
<participantstreamassoc participant_id="Qg=="><send>TQ==</send></participantstreamassoc>
</recording>
`;
  const body = [
    `--${boundary}`,
    'Content-Type: application/sdp',
    '',
    sdp,
    `--${boundary}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    meta,
    `--${boundary}--`,
  ].join('\n');
  return {
    name: 'style C: 1 mixed G722 stream, ;src, LF body',
    wire: message(
      [
        'INVITE sip:srs@198.51.100.9 SIP/2.0',
        'Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKc1, SIP/2.0/UDP 198.51.100.1:5070;branch=z9hG4bKc0',
        'From: sip:rec@198.51.100.7;tag=c-from',
        'To: sip:srs@198.51.100.9',
        'Call-ID: c-call-1',
        'CSeq: 7 INVITE',
        'Contact: <sip:rec@198.51.100.7>; src',
        'Max-Forwards: 70',
        `Content-Type: multipart/mixed;boundary=${boundary}`,
      ],
      body,
    ),
    expect: {
      siprec: true,
      streams: 1,
      labels: ['a_leg'],
      hasMetadata: true,
      participants: 2,
    },
  };
}

export const draftMetadata = `<?xml version="1.0" encoding="UTF-8"?>
<recording_metadata xmlns="urn:ietf:params:xml:ns:siprec">
  <dataMode>complete</dataMode>
  <group id="g1"><associate-time>2024-01-01T10:00:00</associate-time></group>
  <session id="s1"><group-ref>g1</group-ref><start-time>2024-01-01T10:00:00</start-time></session>
  <participant id="p1" session="s1">
    <nameID aor="sip:+32470555666@example.com"><name>Carol</name></nameID>
    <send>st1</send>
    <recv>st2</recv>
  </participant>
  <participant id="p2" session="s1">
    <aor>tel:024445566</aor>
    <send>st2</send>
    <recv>st1</recv>
  </participant>
  <stream id="st1" session="s1"><label>1001</label><mode>separate</mode></stream>
  <stream id="st2" session="s1"><label>1002</label><mode>separate</mode></stream>
</recording_metadata>`;

/** Style D: old draft recording_metadata, Require only, multi-line folded header. */
function styleD(): InviteFixture {
  const boundary = '----=_Part_0_1234';
  const body = [
    `--${boundary}`,
    'Content-Type: application/sdp',
    '',
    sdpTwoStreams(['1001', '1002'], '203.0.113.4'),
    `--${boundary}`,
    'Content-Type: application/rs-metadata+xml',
    'Content-Disposition: recording-session',
    '',
    draftMetadata,
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return {
    name: 'style D: draft recording_metadata, folded header',
    wire: message(
      [
        'INVITE sip:srs@203.0.113.9 SIP/2.0',
        'Via: SIP/2.0/UDP 203.0.113.4:5060;branch=z9hG4bKd4',
        'From: "Recorder, Client" <sip:client@203.0.113.4>;tag=d4',
        'To: <sip:srs@203.0.113.9>',
        'Call-ID: d4@203.0.113.4',
        'CSeq: 1 INVITE',
        'Contact: <sip:client@203.0.113.4>',
        'Require: siprec',
        'Subject: a very long subject',
        '  folded onto a second line',
        `Content-Type: multipart/mixed; boundary="${boundary}"`,
      ],
      body,
    ),
    expect: {
      siprec: true,
      streams: 2,
      labels: ['1001', '1002'],
      hasMetadata: true,
      participants: 2,
    },
  };
}

/** Style E: SDP only (network-based recording without metadata). */
function styleE(): InviteFixture {
  return {
    name: 'style E: SDP only',
    wire: message(
      [
        'INVITE sip:srs@10.1.1.1 SIP/2.0',
        'Via: SIP/2.0/UDP 10.1.1.2:5060;branch=z9hG4bKe5',
        'From: <sip:sbc@10.1.1.2>;tag=e5',
        'To: <sip:srs@10.1.1.1>',
        'Call-ID: e5@10.1.1.2',
        'CSeq: 1 INVITE',
        'Contact: <sip:sbc@10.1.1.2>;+sip.src',
        'Require: siprec',
        'Content-Type: application/sdp',
      ],
      sdpTwoStreams(['1', '2'], '10.1.1.2'),
    ),
    expect: { siprec: true, streams: 2, labels: ['1', '2'], hasMetadata: false },
  };
}

/** A plain (non-SIPREC) INVITE. */
function plain(): InviteFixture {
  return {
    name: 'plain INVITE (not SIPREC)',
    wire: message(
      [
        'INVITE sip:bob@10.1.1.1 SIP/2.0',
        'Via: SIP/2.0/UDP 10.1.1.2:5060;branch=z9hG4bKp1',
        'From: <sip:alice@10.1.1.2>;tag=p1',
        'To: <sip:bob@10.1.1.1>',
        'Call-ID: p1@10.1.1.2',
        'CSeq: 1 INVITE',
        'Contact: <sip:alice@10.1.1.2>',
        'Content-Type: application/sdp',
      ],
      sdpTwoStreams(['1', '2'], '10.1.1.2').replace(/a=label:\d\r\n/g, ''),
    ),
    expect: { siprec: false, streams: 2, labels: [], hasMetadata: false },
  };
}

export const inviteFixtures: InviteFixture[] = [
  styleA(),
  styleB(),
  styleC(),
  styleD(),
  styleE(),
  plain(),
];

export { message as buildWireMessage };
