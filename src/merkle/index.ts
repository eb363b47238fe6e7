export { InclusionBatchVerifier } from './batch-verify.ts';
export type { TileCoords, TilePath } from './tiles.ts';
export {
  encodeEntryBundle,
  entryBundlePath,
  MAX_BUNDLE_ENTRY,
  parseTilePath,
  subtreeRoot,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileCoordsForNode,
  tilePath,
} from './tiles.ts';
export type { CompletedNode, InclusionPlan, NodeId } from './tree.ts';
export {
  consistencyProof,
  consistencyProofNodes,
  EMPTY_ROOT,
  frontierAppend,
  frontierRoot,
  HASH_SIZE,
  hashChildren,
  hashLeaf,
  inclusionProof,
  inclusionProofFromPlan,
  inclusionProofNodes,
  MAX_PROOF_HASHES,
  perfectHeight,
  planInclusionProof,
  rootFromInclusionProof,
  rootFromLeaves,
  verifyConsistency,
  verifyInclusion,
} from './tree.ts';
