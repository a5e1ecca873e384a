import { TypeInfo, getNamedType, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * The Person fields an operation selects (through fragments too): what the audit trail says
 * was read about each person the data layer handed out. Computed from the document, so the
 * resolvers stay unaware of auditing.
 */
export function personFieldsOf(schema: GraphQLSchema, document: DocumentNode): string[] {
  // Apollo hands the same parsed document to every request of a cached operation: visit it once.
  const cached = cache.get(document);
  if (cached) return cached;
  const fields = collect(schema, document);
  cache.set(document, fields);
  return fields;
}
const cache = new WeakMap<DocumentNode, string[]>();

function collect(schema: GraphQLSchema, document: DocumentNode): string[] {
  const typeInfo = new TypeInfo(schema);
  const fields = new Set<string>();
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent && getNamedType(parent).name === 'Person' && !node.name.value.startsWith('__')) fields.add(node.name.value);
      },
    }),
  );
  return [...fields].sort();
}
