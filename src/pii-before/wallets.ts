// Crypto-wallet addresses: Ethereum (EIP-55 checksum), Bitcoin Base58Check and bech32/bech32m.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from '../platform/index.ts';
import type { Emit } from './findings.ts';

const ETH = /\b0x[0-9a-fA-F]{40}\b/g;
const BTC_BASE58 = /\b[13][1-9A-HJ-NP-Za-km-z]{25,34}\b/g;
const BTC_BECH32 = /\bbc1[02-9ac-hj-np-z]{11,71}\b/gi;

/**
 * EIP-55: a mixed-case address must carry the checksum of its Keccak-256 hash (@noble/hashes).
 * The check itself is a few lines; the Ethereum libraries that have it (viem, ethers) are far too
 * large a dependency for it.
 */
function eip55Valid(addr: string): boolean {
  const hex = addr.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  const h = keccak_256(new TextEncoder().encode(hex.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const nibble = ((h[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    const c = hex[i] as string;
    if (/[a-f]/i.test(c) && nibble >= 8 !== (c === c.toUpperCase())) return false;
  }
  return true;
}

const base58check = createBase58check(sha256);

/**
 * Base58Check (Bitcoin P2PKH/P2SH): a version byte and a 20-byte hash under a 4-byte double-SHA-256
 * checksum, canonically encoded (one leading `1` per leading zero byte: a `1` too many or too few
 * is no address).
 */
export function base58CheckValid(s: string): boolean {
  try {
    return base58check.decode(s).length === 21;
  } catch {
    return false;
  }
}

/**
 * BIP 173 / BIP 350: the bech32 or bech32m checksum of an address. Case is folded first: BIP 173
 * calls a mixed-case address invalid, but one typed that way in chat is still someone's wallet.
 */
export function bech32Valid(s: string): boolean {
  const lower = s.toLowerCase();
  return bech32.decodeUnsafe(lower) !== undefined || bech32m.decodeUnsafe(lower) !== undefined;
}

export function wallets(text: string, emit: Emit): void {
  ETH.lastIndex = 0;
  for (let m = ETH.exec(text); m !== null; m = ETH.exec(text))
    if (eip55Valid(m[0])) emit('CRYPTO_WALLET', m.index, m.index + m[0].length, 0.95);
  BTC_BASE58.lastIndex = 0;
  for (let m = BTC_BASE58.exec(text); m !== null; m = BTC_BASE58.exec(text))
    if (base58CheckValid(m[0])) emit('CRYPTO_WALLET', m.index, m.index + m[0].length, 0.9);
  BTC_BECH32.lastIndex = 0;
  for (let m = BTC_BECH32.exec(text); m !== null; m = BTC_BECH32.exec(text))
    if (bech32Valid(m[0])) emit('CRYPTO_WALLET', m.index, m.index + m[0].length, 0.9);
}
