import { draftMetadata, rfc7865Metadata } from '../__fixtures__/siprecInvites';
import { MetadataParseError, aorToE164, mergeMetadata, parseRecordingMetadata, participantsForLabel, rootInfo } from './metadata';

describe('parseRecordingMetadata (RFC 7865)', () => {
  const meta = parseRecordingMetadata(rfc7865Metadata(['1', '2']));

  it('reads the document', () => {
    expect(meta.format).toBe('rfc7865');
    expect(meta.namespace).toBe('urn:ietf:params:xml:ns:recording:1');
    expect(meta.dataMode).toBe('complete');
    expect(meta.groups).toEqual([expect.objectContaining({ id: '7+OTCyoxTmqmqyA/1weDAg==', associateTime: '2024-03-01T09:00:00Z' })]);
    expect(meta.sessions[0]).toMatchObject({ id: 'hVpd7YQgRW2nD22h7q60JQ==', groupId: '7+OTCyoxTmqmqyA/1weDAg==', startTime: '2024-03-01T09:00:00Z' });
    expect(meta.sessions[0].sipSessionIds[0]).toMatch(/^ab30317f/);
    expect(meta.streams.map(s => [s.label, s.sessionId])).toEqual([['1', 'hVpd7YQgRW2nD22h7q60JQ=='], ['2', 'hVpd7YQgRW2nD22h7q60JQ==']]);
  });

  it('reads participants with names, normalised numbers and stream associations', () => {
    const [bob, other] = meta.participants;
    expect(bob).toMatchObject({ aor: 'sip:+32470123456@pbx.example.com', e164: '+32470123456', send: ['UAAMm5GRQKSCMVvLyl4rFw=='], recv: ['i1Pz3to5hGk8fuXl+PbwCw=='], sessionIds: ['hVpd7YQgRW2nD22h7q60JQ=='] });
    expect(bob.nameIds[0].name).toBe('Bob Trader');
    expect(other.e164).toBe('+32470987654'); // national form read in BE
    expect(participantsForLabel(meta, '1').senders.map(p => p.id)).toEqual([bob.id]);
    expect(participantsForLabel(meta, '1').receivers.map(p => p.id)).toEqual([other.id]);
    expect(participantsForLabel(meta, 'nope')).toEqual({ senders: [], receivers: [] });
  });

  it('keeps extensiondata raw', () => {
    expect(meta.groups[0].extensionData).toEqual(['<v:ucid>00001002341709283200</v:ucid>']);
  });

  it('reads the namespace without :1, with a prefix, and root extensiondata', () => {
    const m = parseRecordingMetadata(`<?xml version="1.0"?>
<tns:recording xmlns:tns="urn:ietf:params:xml:ns:recording">
  <tns:participant participant_id="p1"><tns:nameID aor="tel:+32 2 555 12 12"/></tns:participant>
  <tns:participant participant_id="p2"><tns:nameID aor="Extension-12@pbx.example.com"/></tns:participant>
  <tns:stream stream_id="s1" session_id="x"><tns:label>10</tns:label></tns:stream>
  <tns:participantstreamassoc participant_id="p1"><tns:send>s1</tns:send></tns:participantstreamassoc>
  <tns:participantstreamassoc participant_id="p2"><tns:recv>s1</tns:recv></tns:participantstreamassoc>
  <tns:extensiondata xmlns:x="urn:example"><x:callType>inbound</x:callType></tns:extensiondata>
</tns:recording>`);
    expect(m.namespace).toBe('urn:ietf:params:xml:ns:recording');
    expect(m.participants.map(p => [p.e164, p.send, p.recv])).toEqual([['+3225551212', ['s1'], []], [undefined, [], ['s1']]]);
    expect(m.participants[1].aor).toBe('Extension-12@pbx.example.com');
    expect(m.extensionData).toEqual(['<x:callType>inbound</x:callType>']);
    expect(m.streams[0].label).toBe('10');
  });

  it('handles an empty participantstreamassoc and a participant only in an assoc', () => {
    const m = parseRecordingMetadata(`<recording xmlns="urn:ietf:params:xml:ns:recording:1">
      <datamode>partial</datamode>
      <participant participant_id="a"/>
      <participantstreamassoc participant_id="a"/>
      <participantstreamassoc participant_id="b"><send>s9</send></participantstreamassoc>
    </recording>`);
    expect(m.dataMode).toBe('partial');
    expect(m.participants.map(p => [p.id, p.send, p.recv, p.hasStreamAssoc])).toEqual([['a', [], [], true], ['b', ['s9'], [], true]]);
  });
});

describe('parseRecordingMetadata (old draft format)', () => {
  it('reads id=/session= attributes and send/recv nested in participant', () => {
    const m = parseRecordingMetadata(draftMetadata);
    expect(m.format).toBe('draft');
    expect(m.namespace).toBe('urn:ietf:params:xml:ns:siprec');
    expect(m.sessions[0]).toMatchObject({ id: 's1', groupId: 'g1' });
    expect(m.streams.map(s => [s.id, s.label, s.sessionId])).toEqual([['st1', '1001', 's1'], ['st2', '1002', 's1']]);
    expect(m.participants.map(p => [p.id, p.e164, p.send, p.recv, p.sessionIds])).toEqual([
      ['p1', '+32470555666', ['st1'], ['st2'], ['s1']],
      ['p2', '+3224445566', ['st2'], ['st1'], ['s1']],
    ]);
    expect(m.participants[0].nameIds[0].name).toBe('Carol');
    expect(participantsForLabel(m, '1002').senders[0].id).toBe('p2');
  });
});

describe('parseRecordingMetadata errors', () => {
  it.each([
    ['empty', ''],
    ['not XML', 'hello <'],
    ['unclosed', '<recording xmlns="urn:ietf:params:xml:ns:recording:1"><participant>'],
    ['wrong namespace', '<recording xmlns="urn:example"/>'],
    ['no namespace', '<recording/>'],
    ['wrong root', '<session xmlns="urn:ietf:params:xml:ns:recording:1"/>'],
  ])('%s → MetadataParseError', (_n, xml) => {
    expect(() => parseRecordingMetadata(xml)).toThrow(MetadataParseError);
  });
});

describe('rootInfo', () => {
  const ns = 'urn:ietf:params:xml:ns:recording:1';
  it('reads the root element past the prolog', () => {
    expect(rootInfo(`<recording xmlns='${ns}'/>`)).toEqual({ local: 'recording', namespace: ns });
    expect(
      rootInfo(
        `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\r\n<!-- a <comment> --><?pi x?>\n<!DOCTYPE recording [ <!ENTITY a "<b>"> ]>\n` +
          `<rs:recording data-x="a > b" xmlns="urn:other" xmlns:rs = "${ns}" ><rs:datamode>complete</rs:datamode></rs:recording>`,
      ),
    ).toEqual({ local: 'recording', namespace: ns });
    expect(rootInfo(`<!DOCTYPE recording><recording_metadata\n  xmlns="urn:ietf:params:xml:ns:siprec">`)).toEqual({
      local: 'recording_metadata',
      namespace: 'urn:ietf:params:xml:ns:siprec',
    });
  });

  it('gives no namespace when the root declares none for its prefix', () => {
    expect(rootInfo(`<a:recording xmlns="${ns}"></a:recording>`)).toEqual({ local: 'recording', namespace: '' });
    expect(rootInfo('<recording>')).toEqual({ local: 'recording', namespace: '' });
  });

  it('says when there is no root element', () => {
    expect(() => rootInfo('<?xml version="1.0"?><!-- only -->')).toThrow(MetadataParseError);
    expect(() => rootInfo('no markup')).toThrow('no root element');
  });
});

describe('aorToE164', () => {
  it.each<[string, string | undefined]>([
    ['sip:+32470123456@host', '+32470123456'],
    ['sips:+32470123456@host;user=phone', '+32470123456'],
    ['tel:+32470123456', '+32470123456'],
    ['tel:0470 12 34 56', '+32470123456'],
    ['0470123456', '+32470123456'],
    ['sip:32470123456@pbx', '+32470123456'],
    ['sip:0032470123456@pbx', '+32470123456'],
    ['sip:+442071234567@trunk', '+442071234567'],
    ['Extension-12@host', undefined],
    ['sip:alice@example.com', undefined],
    ['sip:12@pbx', undefined],
  ])('%s → %s', (aor, e164) => {
    expect(aorToE164(aor)).toBe(e164);
  });
});

describe('mergeMetadata', () => {
  const initial = parseRecordingMetadata(rfc7865Metadata(['1', '2']));

  it('returns the update when nothing was known', () => {
    expect(mergeMetadata(undefined, initial)).toBe(initial);
  });

  it('applies a partial update: new participant, changed association, disassociation', () => {
    const update = parseRecordingMetadata(`<recording xmlns="urn:ietf:params:xml:ns:recording:1">
      <datamode>partial</datamode>
      <participant participant_id="zSfPoSvdSDCmU3A3TRDxAw=="><disassociate-time>2024-03-01T09:05:00Z</disassociate-time></participant>
      <participant participant_id="newP"><nameID aor="sip:+32470999888@x"/></participant>
      <participantstreamassoc participant_id="newP"><send>i1Pz3to5hGk8fuXl+PbwCw==</send><recv>UAAMm5GRQKSCMVvLyl4rFw==</recv></participantstreamassoc>
      <stream stream_id="i1Pz3to5hGk8fuXl+PbwCw=="><label>2</label></stream>
    </recording>`);
    const merged = mergeMetadata(initial, update);
    expect(merged.dataMode).toBe('partial');
    expect(merged.participants.map(p => p.id)).toEqual(['srfBElmCRp2QB23b7Mpk0w==', 'zSfPoSvdSDCmU3A3TRDxAw==', 'newP']);
    const old = merged.participants[1];
    expect(old.disassociateTime).toBe('2024-03-01T09:05:00Z');
    expect(old.e164).toBe('+32470987654'); // kept from before
    expect(old.send).toEqual(['i1Pz3to5hGk8fuXl+PbwCw==']); // association not restated → kept
    expect(merged.participants[2].e164).toBe('+32470999888');
    expect(participantsForLabel(merged, '2').senders.map(p => p.id)).toEqual(['zSfPoSvdSDCmU3A3TRDxAw==', 'newP']);
    expect(merged.streams.find(s => s.label === '2')?.sessionId).toBe('hVpd7YQgRW2nD22h7q60JQ==');
    expect(merged.groups[0].extensionData).toHaveLength(1);
    // inputs are not mutated
    expect(initial.participants).toHaveLength(2);
  });

  it('replaces stream associations that the update restates', () => {
    const update = parseRecordingMetadata(`<recording xmlns="urn:ietf:params:xml:ns:recording:1">
      <datamode>partial</datamode>
      <participantstreamassoc participant_id="srfBElmCRp2QB23b7Mpk0w=="><recv>i1Pz3to5hGk8fuXl+PbwCw==</recv></participantstreamassoc>
    </recording>`);
    const p = mergeMetadata(initial, update).participants[0];
    expect(p.send).toEqual([]);
    expect(p.recv).toEqual(['i1Pz3to5hGk8fuXl+PbwCw==']);
    expect(p.aor).toBe('sip:+32470123456@pbx.example.com');
  });

  // an Avaya-style SBC: the first snapshot names the SBC, the update the real party, with new ids
  const snapshot = (datamode: string, streams: boolean) => `<recording xmlns="urn:ietf:params:xml:ns:recording:1">
      ${datamode}
      <session session_id="hVpd7YQgRW2nD22h7q60JQ=="/>
      <participant participant_id="p-10"><nameID aor="sip:+32470123456@pbx.example.com"><name>Bob Trader</name></nameID></participant>
      <participant participant_id="p-11"><nameID aor="sip:+32499000777@carrier.example.net"/></participant>
      ${streams ? '<stream stream_id="s-new" session_id="hVpd7YQgRW2nD22h7q60JQ=="><label>9</label></stream>' : ''}
      <participantstreamassoc participant_id="p-10"><send>UAAMm5GRQKSCMVvLyl4rFw==</send></participantstreamassoc>
      <participantstreamassoc participant_id="p-11"><send>i1Pz3to5hGk8fuXl+PbwCw==</send></participantstreamassoc>
    </recording>`;

  it.each([
    ['<datamode>complete</datamode>'],
    ['(no datamode: complete is the default)'],
  ])('replaces the participant set with a complete snapshot %s: no duplicates under new ids', datamode => {
    const merged = mergeMetadata(initial, parseRecordingMetadata(snapshot(datamode.startsWith('<') ? datamode : '', false)));
    expect(merged.dataMode).toBe('complete');
    expect(merged.participants.map(p => [p.id, p.e164])).toEqual([
      ['p-10', '+32470123456'],
      ['p-11', '+32499000777'],
    ]);
    // a snapshot without <stream> elements keeps the known streams (the SDP's)
    expect(merged.streams).toEqual(initial.streams);
    expect(participantsForLabel(merged, '2').senders.map(p => p.e164)).toEqual(['+32499000777']);
    expect(initial.participants).toHaveLength(2);
  });

  it('takes the streams of a complete snapshot that has them', () => {
    const merged = mergeMetadata(initial, parseRecordingMetadata(snapshot('<datamode>complete</datamode>', true)));
    expect(merged.streams.map(s => s.label)).toEqual(['9']);
  });
});
