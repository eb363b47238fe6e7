export { contentCommitment } from './commitment.ts';
export type { AuditAccess, AuditAction, AuditEntry, AuditEvent, AuditOutcome } from './entry.ts';
export {
  AUDIT_ACTIONS,
  decodeAuditEntry,
  encodeAuditEntry,
  encodeSuccessEntry,
  isPurpose,
  PURPOSE_RE,
  validateAuditEvent,
} from './entry.ts';
export { auditPseudonym, deriveSubkey } from './pseudonym.ts';
export type { AccessReport, AccessReportHeader, AccessReportLine, LegalBasisKind } from './report-format.ts';
export { ACCESS_REPORT_FORMAT } from './report-format.ts';
