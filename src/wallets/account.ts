import type { Hex, LocalAccount, TransactionSerializable } from 'viem';
import type { KeyStore } from '../keys/index.ts';
import { ethereumSignature } from './signature.ts';
import {
  hashMessage,
  hashTypedData,
  hexToBytes,
  keccak256,
  parseSignature,
  publicKeyToAddress,
  serializeTransaction,
  toAccount,
  toHex,
} from './viem.ts';

/** What a key-store account is asked to sign, shown to its guard before the key is used. */
export type SigningRequest =
  | { readonly kind: 'hash'; readonly hash: Hex }
  | { readonly kind: 'message'; readonly hash: Hex }
  | { readonly kind: 'typed-data'; readonly hash: Hex }
  | { readonly kind: 'transaction'; readonly transaction: TransactionSerializable };

/** Throws to refuse a signature; custodial wallets allow exactly the action the player confirmed. */
export type SigningGuard = (request: SigningRequest) => void | Promise<void>;

/** The uncompressed public key (65 bytes) as hex, and its Ethereum address. */
export function evmAccountOf(publicKey: Uint8Array): { publicKey: Hex; address: Hex } {
  if (publicKey.byteLength !== 65 || publicKey[0] !== 0x04)
    throw new RangeError('an uncompressed secp256k1 key has 65 bytes');
  const hex = toHex(publicKey);
  return { publicKey: hex, address: publicKeyToAddress(hex) };
}

/**
 * A viem account (`toAccount`) whose key lives in a KeyStore (software key file, PKCS#11 token,
 * or the key process): the chain client sends with it like with any local account. viem does the
 * Ethereum parts (EIP-191 and EIP-712 hashing, transaction serialization); the key store signs the
 * 32-byte digest; `ethereumSignature` makes it low-s with its recovery id. `guard` sees each
 * request before the key is used.
 */
export function keyStoreAccount(keys: KeyStore, name: string, publicKey: Hex, guard?: SigningGuard): LocalAccount {
  const signHash = async (hash: Hex): Promise<Hex> =>
    ethereumSignature(await keys.signEvmDigest(name, hexToBytes(hash)), hash, publicKey);
  const account = toAccount({
    address: publicKeyToAddress(publicKey),
    async sign({ hash }) {
      await guard?.({ kind: 'hash', hash });
      return signHash(hash);
    },
    async signMessage({ message }) {
      const hash = hashMessage(message);
      await guard?.({ kind: 'message', hash });
      return signHash(hash);
    },
    async signTransaction(transaction, options) {
      await guard?.({ kind: 'transaction', transaction });
      const serializer = options?.serializer ?? serializeTransaction;
      // As viem's own local accounts do: a blob transaction is signed without its sidecars.
      const signable = transaction.type === 'eip4844' ? { ...transaction, sidecars: false } : transaction;
      const hash = keccak256(await serializer(signable as typeof transaction));
      return serializer(transaction, parseSignature(await signHash(hash)));
    },
    async signTypedData(typedData) {
      const hash = hashTypedData(typedData);
      await guard?.({ kind: 'typed-data', hash });
      return signHash(hash);
    },
  });
  return { ...account, publicKey };
}
