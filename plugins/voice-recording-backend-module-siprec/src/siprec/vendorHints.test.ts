import { parseRecordingMetadata } from './metadata';
import { vendorHints } from './vendorHints';

function doc(rootExtension: string, sessionExtension = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="s1">${sessionExtension ? `<extensiondata>${sessionExtension}</extensiondata>` : ''}</session>
  <participant participant_id="cDE="><nameID aor="sip:+32499000001@carrier"/></participant>
  <participant participant_id="cDI="><nameID aor="sip:+32470000001@pbx"/></participant>
  ${rootExtension ? `<extensiondata>${rootExtension}</extensiondata>` : ''}
</recording>`;
}

const hintsOf = (root: string, session = '') => vendorHints(parseRecordingMetadata(doc(root, session)));

describe('vendorHints', () => {
  it.each([
    ['<ms:callType xmlns:ms="http://www.metaswitch.com/siprec">terminating</ms:callType>', 'incoming'],
    ['<ms:callType xmlns:ms="http://www.metaswitch.com/siprec">originating</ms:callType>', 'outgoing'],
    ['<callType>Terminated</callType>', 'incoming'],
    ['<call-type>MO</call-type>', 'outgoing'],
    ['<x:callType xmlns:x="urn:example">inbound</x:callType>', 'incoming'],
    ['<direction>outbound</direction>', 'outgoing'],
    ['<callDirection>incoming</callDirection>', 'incoming'],
    ['<call_direction>out</call_direction>', 'outgoing'],
  ])('reads %s as %s', (ext, direction) => {
    expect(hintsOf(ext).direction).toBe(direction);
  });

  it('gives no direction for other call types, and takes the first element that names one', () => {
    expect(hintsOf('<callType>forwarded</callType>')).toEqual({});
    expect(hintsOf('<callType>voice</callType>')).toEqual({});
    expect(hintsOf('<callType>voice</callType><callType>terminating</callType>').direction).toBe('incoming');
  });

  it('reads the sessions\' extension data too', () => {
    expect(hintsOf('', '<ms:callType xmlns:ms="urn:ms">originating</ms:callType>').direction).toBe('outgoing');
  });

  it('reads the recorded party as an address, or as a participant id naming one', () => {
    expect(hintsOf('<recordedParty>tel:+32470000001</recordedParty>').recordedParty).toBe('tel:+32470000001');
    expect(hintsOf('<x:recordedParty xmlns:x="urn:e">cDI=</x:recordedParty><x:callType xmlns:x="urn:e">inbound</x:callType>')).toEqual({
      recordedParty: 'sip:+32470000001@pbx',
      direction: 'incoming',
    });
  });

  it('has nothing to say without metadata or extension data', () => {
    expect(vendorHints(undefined)).toEqual({});
    expect(hintsOf('')).toEqual({});
  });
});
