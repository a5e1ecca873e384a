/** The hub's person-profile query: the benches', and the one tests/api/queries.test.ts and the golden statement count (tests/store/statementCount.test.ts) run. */
export const PERSON_PROFILE = /* GraphQL */ `
query Profile($id: ID!) {
  person(id: $id) {
    id name idNumber phone residenceType tags
    household { number head { name } members { id name relationToHead } }
    dwelling { unit room address { text normalized } }
    building { name address { estate buildingNo street { name } community { name } } }
    grid { name code community { name } members { name role } }
    records { department { name } stream sourceId fetchedAt payloadHash }
    cases(first: 5) { number title status reportedAt }
  }
}
`;
