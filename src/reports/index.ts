export type { AccessReport, AccessReportHeader, AccessReportLine } from '../audit/index.ts';
export { ACCESS_REPORT_FORMAT } from '../audit/index.ts';
export type { AccessReportsOptions, ReportAccess } from './access.ts';
export { AccessReports, accessReportToJsonLines, DEFAULT_REPORT_LINES, MAX_REPORT_LINES } from './access.ts';
export type { PrivacyLabel } from './label.ts';
export { MAX_LABEL_SCAN, privacyLabel, privacyLabelText } from './label.ts';
export type { DeclaredLabel, LabelPolicy, LegalBasis, LegalBasisKind, LegalBasisSource } from './legal.ts';
export { DEFAULT_PURPOSE_BASES, defaultLegalBases, legalBasisOf, NO_DECLARATIONS } from './legal.ts';
export { auditEntryOf, recordOf, SubjectIndex } from './subject-index.ts';
