import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Hex } from 'viem';
import { KeyError } from '../errors/index.ts';
import { bytesToHex, hexToBytes } from './viem.ts';

/**
 * An Ethereum signature (`r || s || v`, 65 bytes, v = 27 + recovery id) from a key store's raw
 * ECDSA signature over `digest` by the key whose uncompressed public key is `publicKey`: `s` made
 * low (EIP-2: a signature with s above n/2 is refused by Ethereum), then the recovery id found by
 * recovering the public key from each candidate and keeping the one that gives this key back.
 * An HSM's CKM_ECDSA returns neither (D240); @noble/curves does the curve arithmetic.
 */
export function ethereumSignature(raw: Uint8Array, digest: Hex, publicKey: Hex): Hex {
  if (raw.byteLength !== 64) throw new KeyError('VERITY_E_HSM_FAILED', 'the key store returned no 64-byte signature');
  const hash = hexToBytes(digest);
  let sig = secp256k1.Signature.fromBytes(raw, 'compact');
  if (sig.hasHighS()) sig = new secp256k1.Signature(sig.r, secp256k1.Point.CURVE().n - sig.s);
  for (const recovery of [0, 1]) {
    let point: Hex;
    try {
      point = sig.addRecoveryBit(recovery).recoverPublicKey(hash).toHex(false) as Hex;
    } catch {
      continue;
    }
    if (`0x${point}`.toLowerCase() === publicKey.toLowerCase())
      return `${bytesToHex(sig.toBytes('compact'))}${(27 + recovery).toString(16)}` as Hex;
  }
  throw new KeyError('VERITY_E_HSM_FAILED', 'the key store’s signature does not verify under the wallet’s public key');
}
