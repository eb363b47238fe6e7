import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { MidstateHmac } from './hmac.ts';

function hex(words: Int32Array): string {
  let s = '';
  for (const w of words) s += (w >>> 0).toString(16).padStart(8, '0');
  return s;
}

describe('HMAC-SHA-256 from key midstates', () => {
  it('equals node:crypto for any key up to a block and any value, across block boundaries', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 100 })),
        (key, value) => {
          const h = new MidstateHmac(key, 2048);
          const expected = createHmac('sha256', key).update(value, 'utf8').digest('hex');
          assert.equal(hex(h.mac(value) as Int32Array), expected);
          // And @noble/hashes' midstate HMAC (the library this file was measured against), cloned per value.
          const noble = hmac.create(sha256, key)._cloneInto().update(new TextEncoder().encode(value)).digest();
          assert.equal(Buffer.from(noble).toString('hex'), expected);
        },
      ),
      { numRuns: 500 },
    );
    // Every value length from 0 to 200 bytes: each padding case (55, 56, 63, 64, 119, 120, ...).
    const key = new Uint8Array(randomBytes(32));
    const h = new MidstateHmac(key, 4096);
    for (let n = 0; n <= 200; n++) {
      const v = 'x'.repeat(n);
      assert.equal(hex(h.mac(v) as Int32Array), createHmac('sha256', key).update(v).digest('hex'), `length ${n}`);
    }
  });

  it('RFC 4231 test case 2 (key "Jefe")', () => {
    const h = new MidstateHmac(new TextEncoder().encode('Jefe'), 100);
    assert.equal(
      hex(h.mac('what do ya want for nothing?') as Int32Array),
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('refuses values over its limit instead of truncating them', () => {
    const h = new MidstateHmac(new Uint8Array(32), 10);
    assert.equal(h.mac('x'.repeat(11)), undefined);
    assert.equal(h.mac('é'.repeat(6)), undefined); // 12 UTF-8 bytes
    assert.notEqual(h.mac('x'.repeat(10)), undefined);
  });
});
