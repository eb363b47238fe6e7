export type { AffectedQuery, AffectedSubjects } from './affected.ts';
export { findAffected, MAX_LISTED, MAX_SCAN } from './affected.ts';
export type { Incident, IncidentAccess, IncidentStatus, IncidentView, Notification } from './register.ts';
export { IncidentRegister, NOTIFY_WITHIN_MS } from './register.ts';
