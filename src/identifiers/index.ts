export type { IdentifierRule } from './identifier.ts';
export { checkIdentifier, identifierProblem, isIdentifier, RESERVED_SUBJECT_PREFIX } from './identifier.ts';
