/**
 * Parsed and validated documents of the WebSocket side, by operation text. Thousands of
 * subscribers send the same few subscriptions; graphql-ws holds each subscription's execution
 * arguments for its whole life, so without sharing every subscriber kept its own syntax tree
 * (with every lexer token, through `loc`), about 8 KiB each, and paid a validation (~0.4 ms)
 * on joining. A document is immutable once parsed, so one tree serves every subscriber.
 */
import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema, type ValidationRule } from 'graphql';

export type Checked = { document: DocumentNode; errors: null } | { document: null; errors: readonly GraphQLError[] };

export class DocumentCache {
  // Map keeps insertion order: the oldest entry is the first key. Operations a client made up
  // per request (inlined values) would otherwise grow it without bound.
  private readonly entries = new Map<string, Checked>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: readonly ValidationRule[],
    private readonly capacity = 500,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The document of `text`, validated against the schema and the rules; a syntax error throws, as `parse` does. */
  check(text: string): Checked {
    const hit = this.entries.get(text);
    if (hit) {
      // Refresh its place: the subscriptions in use stay, one-off operations go first.
      this.entries.delete(text);
      this.entries.set(text, hit);
      return hit;
    }
    const document = parse(text, { maxTokens: 20_000 });
    const errors = validate(this.schema, document, this.rules);
    const checked: Checked = errors.length ? { document: null, errors } : { document, errors: null };
    this.entries.set(text, checked);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return checked;
  }
}
