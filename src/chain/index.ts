// Smart contracts and digital assets on an EVM chain (FGMV-46 7.2.2, 7.2.4): checkpoint anchors,
// data-sharing agreements, virtual goods with licences, royalties and rental.

export { type AgreementAnswer, AgreementReads, type AgreementReason, type AgreementView } from './access.ts';
export { type AnchoredCheckpoint, anchorLatestCheckpoint } from './anchor.ts';
export {
  CheckpointAnchor,
  DataSharingAgreement,
  PlainEditions,
  PlainGoods,
  VirtualEditions,
  VirtualGoods,
} from './artifacts.ts';
export {
  ADDRESS_KIND,
  AddressBindings,
  BINDING_KIND,
  type BoundAddress,
  type ContractSignatureCheck,
  MAX_BOUND_ADDRESSES,
  SIWE_NONCE_KIND,
  type SiweEvidence,
} from './bindings.ts';
export {
  ChainClient,
  type ChainClientOptions,
  type ContractCall,
  DEV_MNEMONIC,
  devAccounts,
  toChainError,
} from './client.ts';
export {
  type AgreementState,
  type AgreementTerms,
  type AnchorRecord,
  type ContractAddresses,
  type ContractRoles,
  deployContracts,
  deployPlainGoods,
  EDITIONS_METADATA_URI,
  itemId,
  type LicenceTerms,
  originHash,
  provenanceBytes32,
  provenanceDigestOf,
  VerityContracts,
  verifyAnchoredAt,
} from './contracts.ts';
export { deployPlainEditions, type EditionInfo, Editions, type UserRecord } from './editions.ts';
export {
  EDITION_BALANCE_KIND,
  EDITION_KIND,
  EDITION_LICENCE_KIND,
  EDITION_RENTAL_KIND,
  type IndexedEdition,
  type IndexedEditionBalance,
  type IndexedEditionRental,
} from './editions-index.ts';
export { type EditionRead, readEdition, readEditionRental } from './editions-state.ts';
export { contractWalletCheck, ERC1271_MAGIC } from './erc1271.ts';
export {
  AGREEMENT_KIND,
  ANCHOR_KIND,
  type ChainCursor,
  COMMERCIAL_KIND,
  CURSOR_KIND,
  chainObjectId,
  GOOD_KIND,
  type IndexedAgreement,
  type IndexedAnchor,
  type IndexedCommercial,
  type IndexedGood,
  type IndexedLicence,
  LICENCE_KIND,
  PAIR_KIND,
  UNDO_KIND,
} from './indexed.ts';
export { ChainIndexer, type IndexerOptions, type SyncResult } from './indexer.ts';
export { EMBEDDED_CHAIN_ID, type EmbeddedChain, type EmbeddedChainOptions, openEmbeddedChain } from './journal.ts';
export { type ChainProofs, MAX_PROVEN_ROWS, type ProvenChainRow, verifyChainProofs } from './proof.ts';
export {
  AnchorSchedule,
  type AnchorScheduleOptions,
  type AnchorTick,
  MIN_ANCHOR_INTERVAL_MS,
} from './schedule.ts';
export { type AgreementDecision, ChainState, itemOf, type ProvenRead, proveChainRows } from './state.ts';
