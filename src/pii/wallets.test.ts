import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base58, bech32, bech32m, createBase58check } from '@scure/base';
import fc from 'fast-check';
import { sha256 } from '../platform/index.ts';
import { base58CheckValid, bech32Valid, oldBase58CheckValid, oldBech32Valid } from './recognizers.ts';

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BECH = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BASE58_RE = /^[13][1-9A-HJ-NP-Za-km-z]{25,34}$/;
const BECH32_RE = /^bc1[02-9ac-hj-np-z]{11,71}$/i;

/** One random edit of a string: none, replace, delete, insert, swap, case flip, add or drop a leading 1. */
function mutated(valid: fc.Arbitrary<string>, alphabet: string): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.integer({ min: 0, max: 8 }), fc.nat(), fc.constantFrom(...alphabet))
    .map(([s, kind, at, c]) => {
      const i = at % s.length;
      switch (kind) {
        case 1:
          return s.slice(0, i) + c + s.slice(i + 1);
        case 2:
          return s.slice(0, i) + s.slice(i + 1);
        case 3:
          return s.slice(0, i) + c + s.slice(i);
        case 4:
          return i + 1 < s.length ? s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2) : s;
        case 5: {
          const x = s[i] as string;
          return s.slice(0, i) + (x === x.toLowerCase() ? x.toUpperCase() : x.toLowerCase()) + s.slice(i + 1);
        }
        case 6:
          return `1${s}`;
        case 7:
          return s.startsWith('1') ? s.slice(1) : s;
        case 8:
          return s.toUpperCase();
        default:
          return s;
      }
    });
}

describe('wallet checksums: @scure/base against the hand-written validators', () => {
  it('Base58Check: both agree on near-valid strings, but for non-canonical leading ones', () => {
    const check = createBase58check(sha256);
    // 21-byte payloads, often with leading zero bytes (addresses that start with 11, 111, ...).
    const payload = fc
      .tuple(fc.constantFrom(0, 5), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ minLength: 21, maxLength: 21 }))
      .map(([version, zeros, b]) => {
        b[0] = version;
        if (version === 0) b.fill(0, 1, 1 + zeros);
        return b;
      });
    const valid = fc.oneof(
      { arbitrary: payload.map((p) => check.encode(p)), weight: 4 },
      fc.stringMatching(BASE58_RE),
      fc.uint8Array({ minLength: 18, maxLength: 26 }).map((p) => check.encode(p)),
    );
    let accepted = 0;
    let differed = 0;
    fc.assert(
      fc.property(mutated(valid, B58), (s) => {
        if (!BASE58_RE.test(s)) return;
        const before = oldBase58CheckValid(s);
        const after = base58CheckValid(s);
        if (after) accepted++;
        if (before === after) return;
        // The one difference: the old code read the string as a number padded to 25 bytes, so it
        // took a leading `1` too many or too few; the library demands the canonical encoding.
        differed++;
        assert.ok(before && !after, s);
        const n = base58.decode(s.replace(/^1+/, ''));
        const bytes = new Uint8Array(25);
        bytes.set(n, 25 - n.length);
        assert.notEqual(base58.encode(bytes), s, s);
        assert.equal(base58CheckValid(base58.encode(bytes)), true, s);
      }),
      { numRuns: 200_000 },
    );
    console.log('base58 accepted', accepted, 'differed', differed);
    assert.ok(accepted > 10_000);
  });

  it('bech32 and bech32m: both agree on near-valid strings', () => {
    const words = fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 5, maxLength: 65 });
    const valid = fc.oneof(
      words.map((w) => bech32.encode('bc', w)),
      words.map((w) => bech32m.encode('bc', w)),
      fc.stringMatching(/^bc1[02-9ac-hj-np-z]{11,71}$/),
    );
    let accepted = 0;
    fc.assert(
      fc.property(mutated(valid, BECH), (s) => {
        if (!BECH32_RE.test(s)) return;
        const after = bech32Valid(s);
        if (after) accepted++;
        assert.equal(after, oldBech32Valid(s), s);
      }),
      { numRuns: 200_000 },
    );
    console.log('bech32 accepted', accepted);
    assert.ok(accepted > 10_000);
  });
});
