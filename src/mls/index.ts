// End-to-end encrypted rooms (MLS, RFC 9420; FGMV-46 7.2.1): Verity as the delivery and
// authentication service, over the store and the log; it never holds a group secret or plaintext.
// Abuse reports are verified by message franking and queued, PII-redacted, for moderators.
export type { MlsDeliveryOptions, QueuedMessage, Room } from './delivery.ts';
export { MlsDelivery, QUEUE_KIND, ROOM_KIND } from './delivery.ts';
export type { KeyEntry, MlsDirectoryOptions } from './directory.ts';
export { CLAIM_KIND, KEY_PACKAGE_KIND, MAX_SIGNATURE_KEYS, MlsKeyDirectory } from './directory.ts';
export { commitment, FRANKING_BYTES, FRANKING_KEY, FRANKING_VERSION } from './franking.ts';
export type { ModerationAction, ModerationReport, ReportInput, ReportReason } from './reports.ts';
export { MAX_REPORT_BYTES, MlsReports, MODERATION_ACTIONS, REPORT_KIND, REPORT_REASONS } from './reports.ts';
export type { KeyProofs, ProvenKeyEntry } from './transparency.ts';
export { KEYS_KIND, MAX_KEY_LOOKUP, proveKeys } from './transparency.ts';
export { DEFAULT_CIPHERSUITES, MAX_MESSAGE_BYTES } from './wire.ts';
