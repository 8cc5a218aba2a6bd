import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { allOfDecisions } from './allOfDecisions';

const allow = { result: AuthorizeResult.ALLOW } as const;
const deny = { result: AuthorizeResult.DENY } as const;
const condition = (rule: string) => ({
  rule,
  resourceType: 'catalog-entity',
  params: {},
});
const conditional = (conditions: any) =>
  ({
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'catalog',
    resourceType: 'catalog-entity',
    conditions,
  } as const);

describe('allOfDecisions', () => {
  it('denies when any decision denies', () => {
    expect(allOfDecisions(allow, deny)).toEqual(deny);
    expect(allOfDecisions(conditional(condition('A')), deny)).toEqual(deny);
    expect(allOfDecisions(deny, conditional(condition('A')))).toEqual(deny);
  });

  it('allows only when every decision allows', () => {
    expect(allOfDecisions(allow, allow)).toEqual(allow);
    expect(allOfDecisions(allow)).toEqual(allow);
  });

  it('keeps the conditions of the only conditional decision', () => {
    const a = conditional(condition('A'));
    expect(allOfDecisions(allow, a)).toEqual(a);
    expect(allOfDecisions(a, allow)).toEqual(a);
  });

  it('ANDs the conditions of several conditional decisions, flattening allOf', () => {
    const host = conditional({ not: condition('HOST') });
    const suite = conditional({
      anyOf: [condition('NOT_A_NUMBER'), condition('OWNER')],
    });
    expect(allOfDecisions(host, suite)).toEqual(
      conditional({
        allOf: [
          { not: condition('HOST') },
          { anyOf: [condition('NOT_A_NUMBER'), condition('OWNER')] },
        ],
      }),
    );
    const both = conditional({ allOf: [condition('A'), condition('B')] });
    expect(allOfDecisions(both, conditional(condition('C')))).toEqual(
      conditional({
        allOf: [condition('A'), condition('B'), condition('C')],
      }),
    );
  });

  it('refuses to combine conditions of different resource types', () => {
    expect(() =>
      allOfDecisions(conditional(condition('A')), {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'voice-recording',
        resourceType: 'voice-recording-number',
        conditions: {
          rule: 'IS_NUMBER_OWNER',
          resourceType: 'voice-recording-number',
          params: { userRefs: [] },
        },
      }),
    ).toThrow(
      /catalog\/catalog-entity and voice-recording\/voice-recording-number/,
    );
    expect(() => allOfDecisions()).toThrow(/at least one/);
  });
});
