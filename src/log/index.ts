export type { ConsistencyProofCase, InclusionProofCase, LogOperation, LogOptions } from './batch.ts';
export { LogBatch, MAX_ENTRY_BYTES } from './batch.ts';
export { type DescribedEntry, describeEntry } from './describe.ts';
export { TransparencyLog } from './log.ts';
export { listOpsHistory, noteOpsHistory, type OpsHistoryKind } from './ops-history.ts';
export { decodeStateEntry, encodeStateEntries, type StateEntry } from './state-entry.ts';
export { type StateDifference, StateReplay } from './state-verify.ts';
export type { CaseResult, HeadReport, ParsedCase, StorageReport } from './verify.ts';
export {
  checkCheckpointAdvance,
  checkProofCase,
  MalformedCaseError,
  parseProofCase,
  verifyLogHead,
  verifyLogStorage,
} from './verify.ts';
