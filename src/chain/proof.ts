// The evidence of Verity's view of the chain lives in src/chainproof (portable, for the SDK).
export {
  type ChainProofs,
  chainRowValue,
  MAX_PROVEN_ROWS,
  type ProvenChainRow,
  verifyChainProofs,
} from '../chainproof/index.ts';
