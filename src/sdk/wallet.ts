// Self-custody for players (FGMV-46 7.2.4): a player's own wallet, reached through the EIP-1193
// provider a browser wallet injects, proves it controls its address with a Sign-In with Ethereum
// message (EIP-4361, `personal_sign`) and signs a data-sharing agreement's EIP-712 terms
// (`eth_signTypedData_v4`). viem builds the messages and speaks to the provider; each signature is
// checked here against the address before it is handed on, so a wallet that signs with another key
// is caught in the client. Verity binds the address (its SIWE check) and the chain contract checks
// the agreement's signatures (D244). A separate entry point (`@verity/sdk/wallet`): the main SDK
// bundle does not carry viem.
import {
  type Address,
  createWalletClient,
  custom,
  type EIP1193Provider,
  getAddress,
  type Hex,
  isAddress,
  recoverMessageAddress,
  recoverTypedDataAddress,
  type TypedDataDefinition,
} from 'viem';
import { createSiweMessage, type SiweMessage } from 'viem/siwe';
import { VerityError } from '../errors/index.ts';

/** The part of an EIP-1193 provider the SDK uses (`window.ethereum` of a browser wallet). */
export type Eip1193Provider = Pick<EIP1193Provider, 'request'>;

/** What the server asks the address to prove: its domain, URI, single-use nonce, chain and how long. */
export interface AddressProofRequest {
  readonly domain: string;
  readonly uri: string;
  readonly nonce: string;
  readonly chainId: number;
  readonly statement?: string;
  readonly issuedAt?: Date;
  readonly expirationTime?: Date;
}

/** A signed SIWE message: the text and the address's signature of it (EIP-191). */
export interface AddressProof {
  readonly address: Address;
  readonly message: string;
  readonly signature: Hex;
}

function refused(message: string): VerityError {
  return new VerityError('VERITY_E_WALLET_SIGNATURE', message);
}

/**
 * A player's own wallet behind an EIP-1193 provider.
 *
 * @example
 * const wallet = await SelfCustodyWallet.connect(window.ethereum);
 * const proof = await wallet.proveAddress({ domain, uri, nonce, chainId });   // sent to Verity to bind
 * const signature = await wallet.signAgreement(typedData);                    // the player's part
 */
export class SelfCustodyWallet {
  readonly address: Address;
  readonly chainId: number;
  readonly #client: ReturnType<typeof createWalletClient>;

  private constructor(client: ReturnType<typeof createWalletClient>, address: Address, chainId: number) {
    this.#client = client;
    this.address = address;
    this.chainId = chainId;
  }

  /** Asks the wallet for its accounts (`eth_requestAccounts`; the wallet asks the player) and uses the first. */
  static async connect(provider: Eip1193Provider): Promise<SelfCustodyWallet> {
    if (typeof provider?.request !== 'function')
      throw new VerityError('VERITY_E_INPUT_INVALID', 'an EIP-1193 provider (with `request`) is needed');
    const client = createWalletClient({ transport: custom(provider, { retryCount: 0 }) });
    const [first] = await client.requestAddresses();
    if (first === undefined || !isAddress(first, { strict: false }))
      throw refused('the wallet gave no account; unlock it and allow this site');
    return new SelfCustodyWallet(client, getAddress(first), await client.getChainId());
  }

  /**
   * Proves control of the address: an EIP-4361 message for the server's domain, URI, nonce and
   * chain, signed with `personal_sign`. The chain must be the wallet's current chain.
   */
  async proveAddress(r: AddressProofRequest): Promise<AddressProof> {
    if (r.chainId !== this.chainId)
      throw refused(`the wallet is on chain ${this.chainId}, not ${r.chainId}; switch the wallet’s network`);
    const fields: SiweMessage = {
      address: this.address,
      chainId: r.chainId,
      domain: r.domain,
      nonce: r.nonce,
      uri: r.uri,
      version: '1',
      issuedAt: r.issuedAt ?? new Date(),
      ...(r.statement === undefined ? {} : { statement: r.statement }),
      ...(r.expirationTime === undefined ? {} : { expirationTime: r.expirationTime }),
    };
    const message = createSiweMessage(fields);
    const signature = await this.#client.signMessage({ account: this.address, message });
    if ((await recoverMessageAddress({ message, signature })) !== this.address)
      throw refused('the wallet signed the sign-in message with another key than its address');
    return { address: this.address, message, signature };
  }

  /**
   * Signs EIP-712 typed data (a data-sharing agreement's terms as the server gives them, D185)
   * with `eth_signTypedData_v4`; the wallet shows the player the terms.
   */
  async signAgreement(typedData: TypedDataDefinition): Promise<Hex> {
    const signature = await this.#client.signTypedData({ account: this.address, ...typedData } as never);
    if ((await recoverTypedDataAddress({ ...typedData, signature } as never)) !== this.address)
      throw refused('the wallet signed the terms with another key than its address');
    return signature;
  }
}
