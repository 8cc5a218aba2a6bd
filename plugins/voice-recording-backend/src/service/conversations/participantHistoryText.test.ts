import { csvRow } from '@mvr/plugin-voice-recording-common';
import { participantHistoryText } from './ConversationsService';

describe('participantHistoryText (export manifest)', () => {
  it('writes who was on the call when, oldest first, as ISO 8601 intervals', () => {
    expect(
      participantHistoryText({
        participantHistory: [
          { aor: 'sip:+32470123456@pbx', number: '+32470123456', recorded: true, from: '2025-06-02T08:00:00.000Z' },
          { aor: 'sip:ASBCE@sbc', from: '2025-06-02T08:00:00.000Z', to: '2025-06-02T08:00:05.000Z' },
          { aor: 'tel:+32499000111', number: '+32499000111', name: 'Client', from: '2025-06-02T08:00:05.000Z' },
        ],
      }),
    ).toBe(
      '+32470123456 [recorded] 2025-06-02T08:00:00.000Z/end; ' +
        'sip:ASBCE@sbc 2025-06-02T08:00:00.000Z/2025-06-02T08:00:05.000Z; ' +
        '+32499000111 (Client) 2025-06-02T08:00:05.000Z/end',
    );
    expect(participantHistoryText({})).toBe('');
  });

  it('is neutralised in the CSV when a party from the network starts like a formula', () => {
    const cell = participantHistoryText({ participantHistory: [{ aor: '=HYPERLINK("http://x")', from: '2025-06-02T08:00:00.000Z' }] });
    expect(cell.startsWith('=')).toBe(true);
    expect(String(csvRow({ participantHistory: cell }).participantHistory).startsWith('=')).toBe(false);
  });
});
