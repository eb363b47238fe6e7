export type { IdentifierRule } from './identifier.ts';
export { checkIdentifier, identifierProblem, isIdentifier } from './identifier.ts';
