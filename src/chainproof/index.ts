// The check of Verity's answers about the chain (D214): state rows proven against a signed
// checkpoint's state map. Primitives only (no store, no chain client), so the SDK ships it.
export { type ChainProofs, chainRowValue, MAX_PROVEN_ROWS, type ProvenChainRow, verifyChainProofs } from './proof.ts';
