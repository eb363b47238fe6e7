// Wallets (FGMV-46 7.2.4): custodial EVM accounts per player held by the KeyStore, signing only
// after the player's passkey confirms the exact action; viem accounts backed by a KeyStore.
// Self-custody (a player's own wallet over EIP-1193) is the SDK's `@verity/sdk/wallet`.

export { evmAccountOf, keyStoreAccount, type SigningGuard, type SigningRequest } from './account.ts';
export { type PreparedAction, prepareAction, type WalletAction } from './actions.ts';
export {
  type ActionResult,
  type CustodialWallet,
  CustodialWallets,
  type CustodialWalletsOptions,
  STEP_UP_WINDOW_MS,
  WALLET_KIND,
} from './custodial.ts';
export { ethereumSignature } from './signature.ts';
