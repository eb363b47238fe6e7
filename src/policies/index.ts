// The Cedar policy set in force, pinned in the authenticated state (D416).
export type { InstalledPolicySet } from './installed.ts';
export { isPolicyFileName, POLICY_SET_KIND, PolicySets } from './installed.ts';
