export {
  EMPTY_STATE_ROOT,
  keyBit,
  keyNibble,
  STATE_HASH_SIZE,
  stateKey,
  stateLeafHash,
  stateNodeHash,
} from './hash.ts';
export { MAX_NODE_DEPTH, type StateChild, StateNode, statePosition } from './node.ts';
export {
  decodeStateProof,
  encodeStateProof,
  type StateProof,
  type StateTerminal,
  stateProofFromBase64,
  stateProofRoot,
  stateProofToBase64,
  verifyStateProof,
} from './proof.ts';
export {
  type RecordStateFinding,
  type RecordStateJson,
  type RecordStateProof,
  verifyRecordState,
} from './record.ts';
export {
  type StateChange,
  type StateNodeSource,
  type StateNodeWrite,
  StateTree,
  type StateUpdate,
} from './tree.ts';
export {
  formatStateExtension,
  type RecordStateFields,
  recordStateKey,
  recordStateValue,
  recordVersionStateKey,
  STATE_EXTENSION_PREFIX,
  STATE_TOMBSTONE,
  type StateField,
  stateDigest,
  stateRootFromExtensions,
} from './values.ts';
