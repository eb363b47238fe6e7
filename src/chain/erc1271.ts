// ERC-1271: asking a contract wallet whether it accepts a signature for a hash (D295). Used to bind
// a contract wallet's address to a player (bindings.ts) as an account's ECDSA signature binds an
// account's. The question is a read (eth_call, so no state can change inside it) at the chain's
// latest block, with a gas cap so a wallet cannot make the check expensive; a wallet deployed
// later (ERC-6492 counterfactual signatures) is not accepted.
import type { Hex } from 'viem';
import type { ContractSignatureCheck } from './bindings.ts';
import type { ChainClient } from './client.ts';
import { decodeFunctionResult, encodeFunctionData } from './viem.ts';

/** ERC-1271's magic value: `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`. */
export const ERC1271_MAGIC = '0x1626ba7e';
const GAS_CAP = 500_000n;

const IERC1271 = [
  {
    type: 'function',
    name: 'isValidSignature',
    stateMutability: 'view',
    inputs: [
      { name: 'hash', type: 'bytes32' },
      { name: 'signature', type: 'bytes' },
    ],
    outputs: [{ name: 'magicValue', type: 'bytes4' }],
  },
] as const;

/** The check of contract wallets' signatures on `chain`: true only for the magic value. */
export function contractWalletCheck(chain: ChainClient): ContractSignatureCheck {
  return async (address: Hex, hash: Hex, signature: Hex): Promise<boolean> => {
    const code = await chain.public.getCode({ address });
    if (code === undefined || code === '0x') return false;
    try {
      const { data } = await chain.public.call({
        to: address,
        data: encodeFunctionData({ abi: IERC1271, functionName: 'isValidSignature', args: [hash, signature] }),
        gas: GAS_CAP,
      });
      if (data === undefined) return false;
      const answer = decodeFunctionResult({ abi: IERC1271, functionName: 'isValidSignature', data });
      return answer.toLowerCase() === ERC1271_MAGIC;
    } catch {
      // A revert, a wallet without the function, or an answer that does not decode: not accepted.
      return false;
    }
  };
}
