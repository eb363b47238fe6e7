// The PKCS#11 key store against a real SoftHSM2 token of its own (Debian `softhsm2`; .ci/run
// installs it): the KeyStore contract the software store passes, and what only a token can show.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keyStoreConformance } from '../../test/helpers/keystore-conformance.ts';
import { labels, type SoftHsm, softHsm, TEST_PIN, withToken } from '../../test/helpers/softhsm.ts';
import { utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { Pkcs11KeyStore } from './index.ts';

const TOKEN = 'verity-test';
let hsm: SoftHsm;
before(async () => {
  hsm = await softHsm();
  await hsm.initToken(TOKEN);
  await hsm.initToken('second');
});
after(() => hsm.cleanup());

const opts = (namespace: string, pin = TEST_PIN) => ({ module: hsm.module, tokenLabel: TOKEN, pin, namespace });

let n = 0;
keyStoreConformance('pkcs11', {
  async create() {
    const name = `ns${n++}`;
    return { ks: await Pkcs11KeyStore.create(opts(name)), name };
  },
  open: (name) => Pkcs11KeyStore.open(opts(name)),
});

describe('PKCS#11 key store in SoftHSM2', () => {
  it('keeps every key inside the token: sensitive, never extractable, and refusing export', async () => {
    const ks = await Pkcs11KeyStore.create(opts('export'));
    await ks.ensureSigningKey('log');
    await ks.ensureMacKey('pseudonyms');
    await ks.ensureEvmKey('wallet-a');
    await ks.close();
    withToken(hsm.module, TOKEN, TEST_PIN, (mod, session, p11) => {
      mod.C_FindObjectsInit(session, [{ type: p11.CKA_TOKEN, value: true }]);
      const all = mod.C_FindObjects(session, 1000);
      mod.C_FindObjectsFinal(session);
      const secrets = all.filter((h) => {
        const [cls, label] = mod.C_GetAttributeValue(session, h, [{ type: p11.CKA_CLASS }, { type: p11.CKA_LABEL }]);
        const c = Buffer.isBuffer(cls?.value) ? cls.value.readUInt32LE(0) : -1;
        const l = String(label?.value ?? '');
        return l.startsWith('export/') && (c === p11.CKO_SECRET_KEY || c === p11.CKO_PRIVATE_KEY);
      });
      // The KEK, the MAC key, the signing key's private half and the EVM key's.
      assert.equal(secrets.length, 4);
      const evm = secrets.filter(
        (h) =>
          String(mod.C_GetAttributeValue(session, h, [{ type: p11.CKA_LABEL }])[0]?.value) === 'export/evm/wallet-a',
      );
      assert.equal(evm.length, 1);
      const [type, params] = mod.C_GetAttributeValue(session, evm[0] as Buffer, [
        { type: p11.CKA_KEY_TYPE },
        { type: p11.CKA_EC_PARAMS },
      ]);
      // CKK_EC on secp256k1 (OID 1.3.132.0.10), generated in the token.
      assert.equal((type as { value: Buffer }).value.readUInt32LE(0), p11.CKK_EC);
      assert.equal((params as { value: Buffer }).value.toString('hex'), '06052b8104000a');
      for (const h of secrets) {
        const a = mod.C_GetAttributeValue(session, h, [
          { type: p11.CKA_SENSITIVE },
          { type: p11.CKA_EXTRACTABLE },
          { type: p11.CKA_NEVER_EXTRACTABLE },
          { type: p11.CKA_ALWAYS_SENSITIVE },
        ]);
        assert.deepEqual(
          a.map((x) => (x.value as Buffer)[0]),
          [1, 0, 1, 1],
        );
        assert.throws(() => mod.C_GetAttributeValue(session, h, [{ type: p11.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
        // Nor can its attributes be changed to allow it.
        assert.throws(
          () => mod.C_SetAttributeValue(session, h, [{ type: p11.CKA_EXTRACTABLE, value: true }]),
          /CKR_ATTRIBUTE_READ_ONLY|CKR_ATTRIBUTE_VALUE_INVALID/,
        );
      }
    });
  });

  it('removes a destroyed KEK from the token (C_DestroyObject), leaving only a tombstone', async () => {
    const ks = await Pkcs11KeyStore.create(opts('shred'));
    const w = await ks.generateDataKey(utf8('s'));
    await ks.rotateKek();
    await ks.destroyKek(1);
    await ks.close();
    const [keys, data] = withToken(hsm.module, TOKEN, TEST_PIN, (mod, session, p11) => [
      labels(mod, session, p11, p11.CKO_SECRET_KEY).filter((l) => l.startsWith('shred/')),
      labels(mod, session, p11, p11.CKO_DATA).filter((l) => l.startsWith('shred/')),
    ]);
    assert.equal(keys.length, 1);
    assert.match(keys[0] as string, /^shred\/kek\/2$/);
    assert.equal(data.length, 1);
    assert.match(data[0] as string, /^shred\/kek\/1$/);
    // A key left behind by a crash between the tombstone and C_DestroyObject is not used, and a
    // second destroy removes it.
    withToken(hsm.module, TOKEN, TEST_PIN, (mod, session, p11) =>
      mod.C_GenerateKey(session, { mechanism: p11.CKM_AES_KEY_GEN }, [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
        { type: p11.CKA_VALUE_LEN, value: 32 },
        { type: p11.CKA_TOKEN, value: true },
        { type: p11.CKA_LABEL, value: 'shred/kek/1' },
      ]),
    );
    const again = await Pkcs11KeyStore.open(opts('shred'));
    await assert.rejects(again.unwrapKey(w.wrapped, utf8('s')), (e) => isVerityError(e, 'VERITY_E_KEY_DESTROYED'));
    assert.equal((await again.listKeks()).find((k) => k.version === 1)?.state, 'destroyed');
    await again.destroyKek(1);
    await again.close();
    const left = withToken(hsm.module, TOKEN, TEST_PIN, (mod, session, p11) =>
      labels(mod, session, p11, p11.CKO_SECRET_KEY).filter((l) => l.startsWith('shred/')),
    );
    assert.deepEqual(left, ['shred/kek/2']);
  });

  it('refuses a wrong or missing PIN, a missing token, a missing module, and an absent store', async () => {
    await (await Pkcs11KeyStore.create(opts('pin'))).close();
    await assert.rejects(Pkcs11KeyStore.open(opts('pin', 'wrong-pin')), (e) => isVerityError(e, 'VERITY_E_HSM_PIN'));
    await assert.rejects(Pkcs11KeyStore.open(opts('pin', '')), (e) => isVerityError(e, 'VERITY_E_HSM_PIN'));
    // With a store of this process logged in to the token, a wrong PIN is still refused.
    const open = await Pkcs11KeyStore.open(opts('pin'));
    await assert.rejects(Pkcs11KeyStore.open(opts('pin', 'wrong-pin')), (e) => isVerityError(e, 'VERITY_E_HSM_PIN'));
    await assert.rejects(Pkcs11KeyStore.open({ ...opts('pin'), tokenLabel: 'no-such-token' }), (e) =>
      isVerityError(e, 'VERITY_E_HSM_TOKEN_NOT_FOUND'),
    );
    await open.close();
    await assert.rejects(Pkcs11KeyStore.open({ ...opts('pin'), module: '/nonexistent/libpkcs11.so' }), (e) =>
      isVerityError(e, 'VERITY_E_HSM_MODULE'),
    );
    await assert.rejects(Pkcs11KeyStore.open(opts('never-made')), (e) => isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'));
    await assert.rejects(Pkcs11KeyStore.create(opts('pin')), (e) => isVerityError(e, 'VERITY_E_KEY_IN_USE'));
  });

  it('keeps stores apart: by namespace in one token, and across tokens', async () => {
    const a = await Pkcs11KeyStore.create(opts('apart-a'));
    const b = await Pkcs11KeyStore.create(opts('apart-b'));
    const c = await Pkcs11KeyStore.create({ ...opts('apart-a'), tokenLabel: 'second' });
    const w = await a.generateDataKey(utf8('s'));
    for (const other of [b, c])
      await assert.rejects(other.unwrapKey(w.wrapped, utf8('s')), (e) => isVerityError(e, 'VERITY_E_ENVELOPE_INVALID'));
    await a.ensureMacKey('m');
    await assert.rejects(b.mac('m', utf8('x')), (e) => isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'));
    await c.ensureMacKey('m');
    assert.notDeepEqual(await a.mac('m', utf8('x')), await c.mac('m', utf8('x')));
    for (const k of [a, b, c]) await k.close();
  });

  it('sees a KEK destroyed by another instance at once', async () => {
    const a = await Pkcs11KeyStore.create(opts('other'));
    const b = await Pkcs11KeyStore.open(opts('other'));
    const w = await a.generateDataKey(utf8('s'));
    assert.deepEqual(await a.unwrapKey(w.wrapped, utf8('s')), w.key);
    await b.rotateKek();
    await b.destroyKek(1);
    await assert.rejects(a.unwrapKey(w.wrapped, utf8('s')), (e) => isVerityError(e, 'VERITY_E_KEY_DESTROYED'));
    await a.close();
    await b.close();
  });
});
