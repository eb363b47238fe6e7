// Smart contracts and digital assets on an EVM chain (FGMV-46 7.2.2, 7.2.4): checkpoint anchors,
// data-sharing agreements, virtual goods with licences, royalties and rental.
export { CheckpointAnchor, DataSharingAgreement, PlainGoods, VirtualGoods } from './artifacts.ts';
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
  itemId,
  type LicenceTerms,
  originHash,
  VerityContracts,
} from './contracts.ts';
