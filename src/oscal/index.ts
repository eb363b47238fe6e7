export type { Control, ControlGroup } from './catalog.ts';
export { CATALOG_UUID, CONTROL_GROUPS, controls, OSCAL_VERSION, oscalCatalog, VERITY_NS } from './catalog.ts';
export type { CheckContext, CheckResult, Evidence } from './checks.ts';
export { CHECKS, runChecks } from './checks.ts';
export type { Assessment, AssessmentSources } from './results.ts';
export { assess, checkpointOf } from './results.ts';
