import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as node from './node.ts';
import * as web from './web.ts';

// The browser implementation must give the Node.js one's answers, byte for byte, so that a proof
// or signature an SDK checks in a browser is judged exactly as the server and the CLI judge it.
const bytes = fc.uint8Array({ maxLength: 300 });

describe('platform: browser and Node.js implementations agree', () => {
  it('on SHA-256, HMAC-SHA-256 and HKDF-SHA-256', () => {
    fc.assert(
      fc.property(bytes, bytes, fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 255 }), (a, b, info, n) => {
        assert.deepEqual(web.sha256(a), node.sha256(a));
        assert.deepEqual(web.hmacSha256(a, b), node.hmacSha256(a, b));
        assert.deepEqual(web.hkdfSha256(a, info, n), node.hkdfSha256(a, info, n));
      }),
    );
    // FIPS 180-2 example: SHA-256("abc").
    assert.equal(
      web.encodeHex(web.sha256(new TextEncoder().encode('abc'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('on base64, base64url and hex', () => {
    fc.assert(
      fc.property(bytes, (a) => {
        for (const alphabet of ['base64', 'base64url'] as const) {
          const text = node.encodeBase64(a, alphabet);
          assert.equal(web.encodeBase64(a, alphabet), text);
          assert.deepEqual(web.decodeBase64(text, alphabet), a);
        }
        assert.equal(web.encodeHex(a), node.encodeHex(a));
        assert.deepEqual(web.decodeHex(node.encodeHex(a)), a);
      }),
    );
  });

  it('on constant-time comparison', () => {
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        assert.equal(web.constantTimeEqual(a, b), node.constantTimeEqual(a, b));
        assert.equal(web.constantTimeEqual(a, a.slice()), true);
      }),
    );
  });

  it('on Ed25519 verification, for valid, altered and malformed signatures', () => {
    const keys = Array.from({ length: 4 }, () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
      return { privateKey, raw: new Uint8Array(raw) };
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        bytes,
        fc.option(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 }))),
        (k, message, flip) => {
          const key = keys[k] as (typeof keys)[number];
          const signature = new Uint8Array(sign(null, message, key.privateKey));
          if (flip !== null) signature[flip[0]] = (signature[flip[0]] as number) ^ flip[1];
          const want = node.ed25519Verifier(key.raw)(message, signature);
          assert.equal(want, flip === null);
          assert.equal(web.ed25519Verifier(key.raw)(message, signature), want);
        },
      ),
    );
    // S not reduced modulo the group order: both refuse (RFC 8032 5.1.7).
    const key = keys[0] as (typeof keys)[number];
    const msg = new Uint8Array([1, 2, 3]);
    const sig = new Uint8Array(sign(null, msg, key.privateKey));
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i] as number);
    s += L;
    for (let i = 0; i < 32; i++) sig[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
    assert.equal(node.ed25519Verifier(key.raw)(msg, sig), false);
    assert.equal(web.ed25519Verifier(key.raw)(msg, sig), false);
    assert.equal(web.ed25519Verifier(key.raw)(msg, sig.subarray(0, 63)), false);
  });

  it('on randomness: fills every byte, differently each time', () => {
    for (const impl of [node, web]) {
      const a = impl.randomFill(new Uint8Array(100_000));
      const b = impl.randomFill(new Uint8Array(100_000));
      assert.notDeepEqual(a, b);
      // A zero byte 100,000 times in a row, or a byte value never seen, would mean an unfilled range.
      assert.equal(new Set(a.subarray(70_000)).size, 256);
    }
  });
});
