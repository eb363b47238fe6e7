export type { AccessContext, Decision } from './engine.ts';
export { enforceDecision, namedPolicies, PolicyEngine, policySetHash } from './engine.ts';
export type { PlayerRef, PrincipalRef, ResourceRef } from './entities.ts';
export type { RecordFacts } from './resources.ts';
export { ABSENT_OWNER, listingResource, recordResource } from './resources.ts';
export type { Action } from './schema.ts';
export { ACTIONS, CEDAR_SCHEMA, DEFAULT_POLICIES } from './schema.ts';
export type { PolicyCase, PolicyCaseResult } from './table.ts';
export { runPolicyTable } from './table.ts';
