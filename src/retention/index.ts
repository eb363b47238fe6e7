export type { RetentionAction, RetentionReport, RetentionRule, RetentionRules } from './retention.ts';
export { ANONYMIZED_TYPE, defaultRules, Retention, scheduleRetention, tableRules } from './retention.ts';
