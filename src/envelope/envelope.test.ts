import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVerityError } from '../errors/index.ts';
import { bindAad, ENVELOPE_OVERHEAD, open, seal } from './index.ts';

const invalid = (e: unknown) => isVerityError(e, 'VERITY_E_ENVELOPE_INVALID');

describe('AES-256-GCM envelopes', () => {
  it('round-trip any plaintext and aad', () => {
    const key = new Uint8Array(randomBytes(32));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 100 }), (pt, aad) => {
        const env = seal(key, pt, aad);
        assert.equal(env.byteLength, pt.byteLength + ENVELOPE_OVERHEAD);
        assert.deepEqual(open(key, env, aad), pt);
      }),
      { numRuns: 200 },
    );
  });

  it('refuse every single-bit change of envelope or aad, a wrong key and truncation', () => {
    const key = new Uint8Array(randomBytes(32));
    const pt = new TextEncoder().encode('{"name":"Ada"}');
    const aad = bindAad('test', ['rec_1', '1']);
    const env = seal(key, pt, aad);
    for (let i = 0; i < env.byteLength * 8; i++) {
      const b = new Uint8Array(env);
      b[i >> 3] = (b[i >> 3] as number) ^ (1 << (i & 7));
      assert.throws(() => open(key, b, aad), invalid, `bit ${i}`);
    }
    for (let i = 0; i < aad.byteLength * 8; i++) {
      const a = new Uint8Array(aad);
      a[i >> 3] = (a[i >> 3] as number) ^ (1 << (i & 7));
      assert.throws(() => open(key, env, a), invalid);
    }
    assert.throws(() => open(new Uint8Array(randomBytes(32)), env, aad), invalid);
    for (const n of [0, 1, 12, 28, env.byteLength - 1])
      assert.throws(() => open(key, env.subarray(0, n), aad), invalid);
    assert.throws(() => seal(new Uint8Array(16), pt, aad), RangeError);
  });

  it('use a fresh nonce every time', () => {
    const key = new Uint8Array(randomBytes(32));
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++)
      seen.add(Buffer.from(seal(key, new Uint8Array(1), new Uint8Array(0)).subarray(1, 13)).toString('hex'));
    assert.equal(seen.size, 1000);
  });

  it('bind additional data unambiguously', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), fc.array(fc.string(), { maxLength: 5 }), (a, b) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        assert.equal(Buffer.from(bindAad('d', a)).equals(Buffer.from(bindAad('d', b))), same);
      }),
    );
    assert.notDeepEqual(bindAad('d', ['ab', 'c']), bindAad('d', ['a', 'bc']));
    assert.notDeepEqual(bindAad('d1', []), bindAad('d', ['1']));
  });
});
