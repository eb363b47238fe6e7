import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVerityError } from '../errors/index.ts';
import { FF1 } from './index.ts';

const VECTORS = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'vectors', 'nist-ff1', 'nist-ff1.json'), 'utf8'),
) as {
  samples: {
    sample: number;
    key: string;
    tweak: string;
    radix: number;
    alphabet: string;
    plaintext: string;
    ciphertext: string;
  }[];
};

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('FF1 (NIST SP 800-38G)', () => {
  it('matches every NIST sample vector, both ways', () => {
    assert.equal(VECTORS.samples.length, 9);
    for (const v of VECTORS.samples) {
      const f = new FF1(hex(v.key), v.radix, v.alphabet);
      assert.equal(f.encrypt(v.plaintext, hex(v.tweak)), v.ciphertext, `sample ${v.sample} encrypt`);
      assert.equal(f.decrypt(v.ciphertext, hex(v.tweak)), v.plaintext, `sample ${v.sample} decrypt`);
    }
  });

  it('decrypts what it encrypts, keeping length and alphabet, for any radix, length and tweak', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.integer({ min: 2, max: 64 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (keyLen, radix, tweak, seed) => {
          const alphabet = Array.from({ length: radix }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
          const f = new FF1(new Uint8Array(randomBytes(keyLen)), radix, radix <= 36 ? undefined : alphabet);
          const symbols = [...f.alphabet];
          const len = f.minLength + (seed % 30);
          const plain = Array.from({ length: len }, (_, i) => symbols[(seed * 31 + i * 7) % radix]).join('');
          const c = f.encrypt(plain, tweak);
          assert.equal([...c].length, len);
          assert.ok([...c].every((ch) => symbols.includes(ch)));
          assert.equal(f.decrypt(c, tweak), plain);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives different ciphertexts under different tweaks and keys', () => {
    const key = hex('2B7E151628AED2A6ABF7158809CF4F3C');
    const f = new FF1(key, 10);
    const card = '4111111111111111';
    assert.notEqual(f.encrypt(card, hex('01')), f.encrypt(card, hex('02')));
    assert.notEqual(f.encrypt(card), new FF1(hex('2B7E151628AED2A6ABF7158809CF4F3D'), 10).encrypt(card));
  });

  it('refuses bad keys, radixes, alphabets, lengths and characters with typed errors', () => {
    const bad = (fn: () => unknown) => assert.throws(fn, (e) => isVerityError(e, 'VERITY_E_INPUT_INVALID'));
    bad(() => new FF1(new Uint8Array(15), 10));
    bad(() => new FF1(new Uint8Array(16), 1));
    bad(() => new FF1(new Uint8Array(16), 40));
    bad(() => new FF1(new Uint8Array(16), 3, 'aab'));
    const f = new FF1(new Uint8Array(16), 10);
    bad(() => f.encrypt('12345')); // 10^5 < a million values
    bad(() => f.encrypt('12345a'));
    bad(() => f.encrypt('1'.repeat(5000)));
    bad(() => f.encrypt('123456', new Uint8Array(300)));
  });
});
