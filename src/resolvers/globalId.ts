import { SafeError } from '../errors.js';

/** Types that implement Node; a global id names one of them and its database id. */
export const NODE_TYPES = [
  'Person', 'Household', 'Dwelling', 'Building', 'Address', 'Area', 'Grid', 'GridMember', 'Enterprise',
  'Department', 'SourceRecord', 'Case', 'Dispatch', 'CaseEvent', 'MatchCandidate',
] as const;
export type NodeType = (typeof NODE_TYPES)[number];

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function fromGlobalId(globalId: string): { type: NodeType; id: string } {
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  const type = text.slice(0, sep) as NodeType;
  const id = text.slice(sep + 1);
  if (sep < 0 || !NODE_TYPES.includes(type) || !/^\d{1,18}$/.test(id)) {
    throw new SafeError('BAD_USER_INPUT', `"${globalId}" is not an id this API issued.`);
  }
  return { type, id };
}

/** The database id behind a global id that must name an entity of `type`. */
export function idOf(type: NodeType, globalId: string): string {
  const decoded = fromGlobalId(globalId);
  if (decoded.type !== type) {
    throw new SafeError('BAD_USER_INPUT', `Expected the id of a ${type}, got the id of a ${decoded.type}.`);
  }
  return decoded.id;
}

/** Like idOf for optional arguments: absent stays absent. */
export function optionalIdOf(type: NodeType, globalId: string | null | undefined): string | null {
  return globalId ? idOf(type, globalId) : null;
}

/** The id type check behind every Node's `id` resolver. */
export const globalIdField = (type: NodeType) => (parent: { id: string }) => toGlobalId(type, parent.id);
