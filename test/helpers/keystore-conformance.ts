import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, parseSignature, recoverAddress } from 'viem';
import { toBase64Url, utf8 } from '../../src/encoding/index.ts';
import { isVerityError } from '../../src/errors/index.ts';
import type { KeyStore } from '../../src/keys/index.ts';
import { ethereumSignature, evmAccountOf } from '../../src/wallets/index.ts';

/** How a conformance run makes key stores: a fresh one, and another instance of the same keys. */
export interface KeyStoreHarness {
  /** A new, empty key store (KEK version 1 only), with a name to reopen it by. */
  create(): Promise<{ ks: KeyStore; name: string }>;
  /** Opens the key store `name` again (another instance on the same keys). */
  open(name: string): Promise<KeyStore>;
}

const ctx = utf8('subject-a');

/**
 * The KeyStore contract (src/keys/types.ts), run against every implementation: the software key
 * file and the PKCS#11 token give the same answers and the same error codes.
 */
export function keyStoreConformance(kind: string, h: KeyStoreHarness): void {
  describe(`KeyStore contract: ${kind}`, () => {
    it('wraps, signs and MACs, and finds it all again after reopening', async () => {
      const { ks, name } = await h.create();
      assert.equal(ks.kind, kind);
      const { key, wrapped } = await ks.generateDataKey(ctx);
      assert.equal(key.byteLength, 32);
      assert.equal(wrapped.kekVersion, 1);
      await ks.ensureMacKey('index');
      const pub = await ks.ensureSigningKey('log');
      assert.equal(pub.byteLength, 32);
      assert.deepEqual(await ks.ensureSigningKey('log'), pub);
      await ks.close();
      const again = await h.open(name);
      assert.deepEqual(await again.unwrapKey(wrapped, ctx), key);
      assert.deepEqual(await again.ensureSigningKey('log'), pub);
      const sig = await again.sign('log', utf8('msg'));
      const ko = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub) }, format: 'jwk' });
      assert.ok(verify(null, utf8('msg'), ko, sig));
      assert.ok(!verify(null, utf8('msh'), ko, sig));
      const m = await again.mac('index', utf8('x'));
      assert.equal(m.byteLength, 32);
      assert.deepEqual(await again.mac('index', utf8('x')), m);
      assert.notDeepEqual(await again.mac('index', utf8('y')), m);
      await again.ensureMacKey('other');
      assert.notDeepEqual(await again.mac('other', utf8('x')), m);
      await assert.rejects(again.mac('nope', utf8('x')), (e) => isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'));
      await assert.rejects(again.sign('nope', utf8('x')), (e) => isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'));
      await assert.rejects(again.ensureMacKey('Not A Name'), RangeError);
      await assert.rejects(again.wrapKey(new Uint8Array(31), ctx), RangeError);
      await again.close();
      await assert.rejects(again.mac('index', utf8('x')), (e) => isVerityError(e, 'VERITY_E_CLOSED'));
    });

    it('keeps secp256k1 keys of EVM accounts by name: ECDSA on the digest as given, low-s and recoverable once made Ethereum signatures', async () => {
      const { ks, name } = await h.create();
      const pub = await ks.ensureEvmKey('wallet-a');
      assert.equal(pub.byteLength, 65);
      assert.equal(pub[0], 0x04);
      assert.deepEqual(await ks.ensureEvmKey('wallet-a'), pub);
      const other = await ks.ensureEvmKey('wallet-b');
      assert.notDeepEqual(other, pub);
      const { address, publicKey } = evmAccountOf(pub);
      await ks.close();
      const again = await h.open(name);
      assert.deepEqual(await again.ensureEvmKey('wallet-a'), pub);
      const half = secp256k1.Point.CURVE().n / 2n;
      for (let i = 0; i < 8; i++) {
        const digest = new Uint8Array(randomBytes(32));
        const raw = await again.signEvmDigest('wallet-a', digest);
        assert.equal(raw.byteLength, 64);
        // The digest itself is signed (no hash of it): the check uses prehash false.
        assert.ok(secp256k1.verify(raw, digest, pub, { prehash: false, lowS: false }));
        assert.ok(!secp256k1.verify(raw, digest, other, { prehash: false, lowS: false }));
        const sig = ethereumSignature(raw, bytesToHex(digest), publicKey);
        assert.ok(BigInt(parseSignature(sig).s) <= half, 'EIP-2: s in the lower half');
        assert.equal(await recoverAddress({ hash: bytesToHex(digest), signature: sig }), address);
      }
      await assert.rejects(again.signEvmDigest('wallet-c', new Uint8Array(32)), (e) =>
        isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'),
      );
      await assert.rejects(again.signEvmDigest('wallet-a', new Uint8Array(31)), RangeError);
      await assert.rejects(again.ensureEvmKey('Not A Name'), RangeError);
      await again.close();
    });

    it('rotates, binds context, refuses tampering, and destroys irrecoverably', async () => {
      const { ks, name } = await h.create();
      const old = await ks.generateDataKey(ctx);
      assert.equal(await ks.rotateKek(), 2);
      assert.equal(await ks.currentKekVersion(), 2);
      const fresh = await ks.wrapKey(old.key, ctx);
      assert.equal(fresh.kekVersion, 2);
      assert.deepEqual(await ks.unwrapKey(old.wrapped, ctx), old.key);
      assert.deepEqual(await ks.unwrapKey(fresh, ctx), old.key);
      await assert.rejects(ks.unwrapKey(fresh, utf8('subject-b')), (e) =>
        isVerityError(e, 'VERITY_E_ENVELOPE_INVALID'),
      );
      await assert.rejects(ks.unwrapKey({ kekVersion: 1, bytes: fresh.bytes }, ctx), (e) =>
        isVerityError(e, 'VERITY_E_ENVELOPE_INVALID'),
      );
      const flipped = new Uint8Array(fresh.bytes);
      flipped[20] = (flipped[20] as number) ^ 1;
      await assert.rejects(ks.unwrapKey({ kekVersion: 2, bytes: flipped }, ctx), (e) =>
        isVerityError(e, 'VERITY_E_ENVELOPE_INVALID'),
      );
      await assert.rejects(ks.unwrapKey({ kekVersion: 9, bytes: fresh.bytes }, ctx), (e) =>
        isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'),
      );
      await assert.rejects(ks.destroyKek(2), (e) => isVerityError(e, 'VERITY_E_KEY_IN_USE'));
      await assert.rejects(ks.destroyKek(7), (e) => isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'));
      await ks.destroyKek(1);
      await ks.destroyKek(1); // again: nothing is left to do
      await assert.rejects(ks.unwrapKey(old.wrapped, ctx), (e) => isVerityError(e, 'VERITY_E_KEY_DESTROYED'));
      assert.deepEqual(
        (await ks.listKeks()).map((k) => [k.version, k.state]),
        [
          [1, 'destroyed'],
          [2, 'active'],
        ],
      );
      await ks.close();
      const reopened = await h.open(name);
      await assert.rejects(reopened.unwrapKey(old.wrapped, ctx), (e) => isVerityError(e, 'VERITY_E_KEY_DESTROYED'));
      assert.deepEqual(await reopened.unwrapKey(fresh, ctx), old.key);
      // Versions are never reused after a destruction.
      assert.equal(await reopened.rotateKek(), 3);
      assert.deepEqual(
        (await reopened.listKeks()).map((k) => [k.version, k.state]),
        [
          [1, 'destroyed'],
          [2, 'retired'],
          [3, 'active'],
        ],
      );
      // Creation times survive destruction and reopening.
      const times = (await reopened.listKeks()).map((k) => k.createdAt);
      assert.ok(times.every((t) => Number.isSafeInteger(t) && t > Date.parse('2020-01-01')));
      await reopened.close();
    });

    it('sees changes by another instance and loses no concurrent change', async () => {
      const { ks: a, name } = await h.create();
      const b = await h.open(name);
      await a.rotateKek();
      const w = await a.generateDataKey(ctx);
      assert.deepEqual(await b.unwrapKey(w.wrapped, ctx), w.key);
      assert.equal(await b.currentKekVersion(), 2);
      await Promise.all([
        a.ensureSigningKey('s1'),
        b.ensureSigningKey('s2'),
        a.ensureMacKey('m1'),
        b.ensureMacKey('m2'),
        a.rotateKek(),
      ]);
      const c = await h.open(name);
      await c.sign('s1', utf8('x'));
      await c.sign('s2', utf8('x'));
      await c.mac('m1', utf8('x'));
      await c.mac('m2', utf8('x'));
      assert.equal(await c.currentKekVersion(), 3);
      // A MAC key another instance created after this one opened (an FF1 key made on one node,
      // used to decrypt on another) is found, not reported missing.
      await a.ensureMacKey('made-later');
      assert.deepEqual(await c.mac('made-later', utf8('x')), await a.mac('made-later', utf8('x')));
      for (const k of [a, b, c]) await k.close();
    });
  });
}
