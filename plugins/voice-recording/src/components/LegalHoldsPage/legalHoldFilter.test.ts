import {
  EMPTY_SEARCH,
  searchValuesFromParams,
  searchValuesToFilters,
  searchValuesToParams,
} from '../ConversationsPage/ConversationSearchForm';
import { conversationFilters } from '../../api/VoiceRecordingClient';

describe('the legal hold filter of the conversation search', () => {
  it('goes from the form to the page URL and back, and to the API filter', () => {
    for (const [value, filter] of [
      ['true', true],
      ['false', false],
    ] as const) {
      const values = { ...EMPTY_SEARCH, legalHold: value };
      const params = searchValuesToParams(values);
      expect(params.toString()).toBe(`legalHold=${value}`);
      expect(searchValuesFromParams(params).legalHold).toBe(value);
      expect(searchValuesToFilters(values)).toEqual({ legalHold: filter });
      expect(conversationFilters({ legalHold: filter })).toEqual({
        legalHold: filter,
      });
    }
    expect(searchValuesToFilters(EMPTY_SEARCH)).toEqual({});
    expect(
      searchValuesFromParams(new URLSearchParams('legalHold=maybe')).legalHold,
    ).toBe('');
  });
});
