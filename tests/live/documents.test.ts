import { Kind, buildSchema, type ValidationRule, GraphQLError } from 'graphql';
import { specifiedRules } from 'graphql';
import { DocumentCache } from '../../src/live/documents.js';

const schema = buildSchema(`
  type Query { ok: Boolean }
  type Subscription { ticks(every: Int): Int }
`);

describe('DocumentCache', () => {
  test('the same text gives the same document object; another text another one', () => {
    const cache = new DocumentCache(schema, specifiedRules);
    const a = cache.check('subscription { ticks(every: 1) }');
    const b = cache.check('subscription { ticks(every: 1) }');
    const c = cache.check('subscription { ticks(every: 2) }');
    expect(a.errors).toBeNull();
    expect(a.document?.definitions[0]?.kind).toBe(Kind.OPERATION_DEFINITION);
    expect(b.document).toBe(a.document);
    expect(c.document).not.toBe(a.document);
    expect(cache.size).toBe(2);
  });

  test('an invalid document is refused every time, with the rules given (the hub adds its limits)', () => {
    const noTicks: ValidationRule = (context) => ({
      Field(node) {
        if (node.name.value === 'ticks' && node.arguments?.length === 0) context.reportError(new GraphQLError('ticks needs every'));
      },
    });
    const cache = new DocumentCache(schema, [...specifiedRules, noTicks]);
    for (let i = 0; i < 2; i++) {
      const checked = cache.check('subscription { ticks }');
      expect(checked.document).toBeNull();
      expect(checked.errors?.map((e) => e.message)).toEqual(['ticks needs every']);
    }
    expect(cache.check('subscription { nope }').errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
  });

  test('a syntax error throws, as parse does, and is not cached', () => {
    const cache = new DocumentCache(schema, specifiedRules);
    expect(() => cache.check('subscription {')).toThrow(GraphQLError);
    expect(cache.size).toBe(0);
  });

  test('holds at most its capacity, dropping the least recently used', () => {
    const cache = new DocumentCache(schema, specifiedRules, 2);
    const one = cache.check('subscription { ticks(every: 1) }').document;
    cache.check('subscription { ticks(every: 2) }');
    expect(cache.check('subscription { ticks(every: 1) }').document).toBe(one); // now the most recent
    cache.check('subscription { ticks(every: 3) }'); // evicts every: 2
    expect(cache.size).toBe(2);
    expect(cache.check('subscription { ticks(every: 1) }').document).toBe(one);
    const two = cache.check('subscription { ticks(every: 2) }').document;
    expect(two).not.toBeNull();
  });
});
