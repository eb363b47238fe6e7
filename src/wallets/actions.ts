import type { Hex, TypedDataDefinition } from 'viem';
import { type AgreementTerms, type VerityContracts, VirtualGoods } from '../chain/index.ts';
import { InputError } from '../errors/index.ts';
import type { SigningRequest } from './account.ts';
import { encodeFunctionData, hashTypedData, isAddress } from './viem.ts';

/** What a player confirms their custodial wallet signs: a good handed on, or agreement terms. */
export type WalletAction =
  | { readonly kind: 'transfer'; readonly tokenId: bigint; readonly to: Hex }
  | { readonly kind: 'agreement'; readonly terms: AgreementTerms };

/** An action made exact: its digest (what the step-up binds), the typed data it is the digest of, and the one signature it allows. */
export interface PreparedAction {
  readonly kind: WalletAction['kind'];
  readonly digest: Hex;
  /** EIP-712 typed data whose hash is `digest`: what a client shows the player before they confirm. */
  readonly typedData: TypedDataDefinition;
  /** Whether a signing request is the one this action needs (and nothing else). */
  readonly allows: (r: SigningRequest) => boolean;
}

const same = (a: string | null | undefined, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/**
 * Makes an action exact for the wallet at `from` (D242). A transfer is the contract call itself
 * (chain, goods contract, calldata of `transferFrom(from, to, tokenId)`, no value) as EIP-712 typed
 * data `Call`; nonce and gas are the platform's and change nothing the player agreed to, while an
 * EIP-7702 authorization or a value would, so the transaction signed must carry neither. Agreement
 * terms are their own EIP-712 typed data (D185), so the digest is the agreement id; the wallet must
 * be a party.
 */
export function prepareAction(contracts: VerityContracts, from: Hex, action: WalletAction): PreparedAction {
  const chainId = contracts.chain.chain.id;
  if (action?.kind === 'transfer') {
    if (!isAddress(action.to, { strict: false }) || typeof action.tokenId !== 'bigint' || action.tokenId < 0n)
      throw new InputError('VERITY_E_INPUT_INVALID', 'a transfer names a token id and the address it goes to');
    const goods = contracts.addresses.goods;
    const data = encodeFunctionData({
      abi: VirtualGoods.abi,
      functionName: 'transferFrom',
      args: [from, action.to, action.tokenId],
    });
    const typedData = {
      domain: { name: 'Verity custodial wallet', version: '1', chainId, verifyingContract: goods },
      types: {
        Call: [
          { name: 'from', type: 'address' },
          { name: 'to', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'data', type: 'bytes' },
        ],
      },
      primaryType: 'Call',
      message: { from, to: goods, value: 0n, data },
    } as const;
    return {
      kind: 'transfer',
      digest: hashTypedData(typedData),
      typedData: typedData as unknown as TypedDataDefinition,
      allows: (r) =>
        r.kind === 'transaction' &&
        r.transaction.chainId === chainId &&
        same(r.transaction.to, goods) &&
        r.transaction.data === data &&
        (r.transaction.value ?? 0n) === 0n &&
        r.transaction.authorizationList === undefined,
    };
  }
  if (action?.kind === 'agreement') {
    const t = action.terms;
    if (!same(t?.subject, from) && !same(t?.recipient, from))
      throw new InputError('VERITY_E_INPUT_INVALID', 'the player’s wallet is neither party to these agreement terms');
    const typedData = contracts.agreementTypedData(t);
    const digest = hashTypedData(typedData);
    return {
      kind: 'agreement',
      digest,
      typedData: typedData as unknown as TypedDataDefinition,
      allows: (r) => r.kind === 'typed-data' && r.hash === digest,
    };
  }
  throw new InputError('VERITY_E_INPUT_INVALID', 'a wallet action is a `transfer` or an `agreement`');
}
