export type { AnonymizeConfig, AnonymizeResult, Hierarchy, Report, Table } from './anonymize.ts';
export { anonymize, parseHierarchy, parseTable } from './anonymize.ts';
