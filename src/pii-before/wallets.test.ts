// Wallet-address checksums as the scanner applies them (Base58Check and bech32/bech32m from
// @scure/base). Vectors: BIP 173 and BIP 350 (test vectors sections) and the Bitcoin wiki's
// address examples. Until the library took over, a property held it to the hand-written
// validators on 200,000 near-valid strings each: bech32 agreed on every one; Base58Check on every
// one but the non-canonical strings (a leading `1` added or dropped) the old big-number decoding
// accepted, now refused (last vectors below).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bech32, bech32m, createBase58check } from '@scure/base';
import fc from 'fast-check';
import { sha256 } from '../platform/index.ts';
import { scan } from './index.ts';
import { base58CheckValid, bech32Valid } from './wallets.ts';

const found = (address: string) =>
  scan(`send it to ${address} please`).map((f) => [f.type, `send it to ${address} please`.slice(f.start, f.end)]);

describe('wallet addresses', () => {
  it('bech32 and bech32m (BIP 173, BIP 350)', () => {
    const valid = [
      'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4',
      'bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3',
      'bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y',
      'BC1SW50QGDZ25J',
      'bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs',
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0',
      // Mixed case is invalid for BIP 173, but still someone's wallet when typed so in chat.
      'bc1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4',
    ];
    for (const a of valid) {
      assert.equal(bech32Valid(a), true, a);
      assert.deepEqual(found(a), [['CRYPTO_WALLET', a]]);
    }
    for (const a of [
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', // checksum
      'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj1',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3tb', // b is not in the alphabet
    ]) {
      assert.equal(bech32Valid(a), false, a);
      assert.deepEqual(found(a), []);
    }
  });

  it('Base58Check (P2PKH and P2SH)', () => {
    for (const a of [
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
      '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
      '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa',
      '1111111111111111111114oLvT2', // all-zero hash: 21 leading ones
    ]) {
      assert.equal(base58CheckValid(a), true, a);
      assert.deepEqual(found(a), [['CRYPTO_WALLET', a]]);
    }
    for (const a of [
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3', // checksum
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVNI', // I is not in the alphabet
      createBase58check(sha256).encode(new Uint8Array(22)), // a checksummed 22-byte payload: no address
      // Non-canonical: a leading 1 added or dropped (the hand-written decoder took these).
      '11BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
      '13J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
      '111111111111111111114oLvT2',
    ]) {
      assert.equal(base58CheckValid(a), false, a);
      assert.deepEqual(found(a), []);
    }
  });

  it('finds any address of the right shape and checksum, and no address with one character changed', () => {
    const check = createBase58check(sha256);
    const base58 = fc
      .tuple(fc.constantFrom(0, 5), fc.uint8Array({ minLength: 20, maxLength: 20 }))
      .map(([version, hash]) => check.encode(Uint8Array.of(version, ...hash)));
    const words = fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 5, maxLength: 60 });
    const segwit = fc.oneof(
      words.map((w) => bech32.encode('bc', w)),
      words.map((w) => bech32m.encode('bc', w)),
    );
    fc.assert(
      fc.property(fc.oneof(base58, segwit), fc.nat(), (a, at) => {
        const valid = a.startsWith('bc1') ? bech32Valid : base58CheckValid;
        assert.equal(valid(a), true, a);
        // One substitution past the prefix: bech32 detects every one; Base58Check's 32-bit
        // checksum all but one in 2^32.
        const i = 3 + (at % (a.length - 3));
        const swapped = a[i] === 'q' ? 'p' : a[i] === '2' ? '3' : a.startsWith('bc1') ? 'q' : '2';
        assert.equal(valid(a.slice(0, i) + swapped + a.slice(i + 1)), false, a);
      }),
      { numRuns: 2000 },
    );
  });
});
