import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { toBase64, toBase64Url, utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { SoftwareKeyStore } from './index.ts';

const KDF = { N: 1024, r: 8, p: 1 };
const SECRET = { passphrase: 'a passphrase for tests' };
const ctx = utf8('subject-a');

describe('software key store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  after(() => cleanup());

  it('creates a sealed key file (mode 0600) and reopens it', async () => {
    const path = join(dir, 'a.json');
    const ks = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    const { key, wrapped } = await ks.generateDataKey(ctx);
    assert.equal(wrapped.kekVersion, 1);
    await ks.ensureMacKey('index');
    const pub = await ks.ensureSigningKey('log');
    await ks.close();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const again = await SoftwareKeyStore.open(path, SECRET);
    assert.deepEqual(await again.unwrapKey(wrapped, ctx), key);
    assert.deepEqual(await again.ensureSigningKey('log'), pub);
    const sig = await again.sign('log', utf8('msg'));
    const ko = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub) }, format: 'jwk' });
    assert.ok(verify(null, utf8('msg'), ko, sig));
    assert.deepEqual(await again.mac('index', utf8('x')), await again.mac('index', utf8('x')));
    await assert.rejects(again.mac('nope', utf8('x')), (e) => isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'));
    // No key material in plaintext in the file.
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(toBase64(key)));
    assert.ok(!text.includes(toBase64(pub)));
    await assert.rejects(SoftwareKeyStore.create(path, SECRET, { kdf: KDF }), (e) =>
      isVerityError(e, 'VERITY_E_CONFIG_INVALID'),
    );
    await again.close();
  });

  it('refuses a wrong passphrase and a tampered file', async () => {
    const path = join(dir, 'b.json');
    await (await SoftwareKeyStore.create(path, SECRET, { kdf: KDF })).close();
    await assert.rejects(SoftwareKeyStore.open(path, { passphrase: 'wrong' }), (e) =>
      isVerityError(e, 'VERITY_E_KEY_PASSPHRASE'),
    );
    const orig = await readFile(path, 'utf8');
    const file = JSON.parse(orig);
    const sealed = Buffer.from(file.sealed, 'base64');
    sealed[20] = (sealed[20] as number) ^ 1;
    await writeFile(path, JSON.stringify({ ...file, sealed: sealed.toString('base64') }));
    await assert.rejects(SoftwareKeyStore.open(path, SECRET), (e) => isVerityError(e, 'VERITY_E_KEY_PASSPHRASE'));
    await writeFile(path, JSON.stringify({ ...file, kdf: { ...file.kdf, N: 2048 } }));
    await assert.rejects(SoftwareKeyStore.open(path, SECRET), (e) => isVerityError(e));
    await writeFile(path, '{"format":"x"}');
    await assert.rejects(SoftwareKeyStore.open(path, SECRET), (e) => isVerityError(e, 'VERITY_E_KEYSTORE_CORRUPT'));
    await assert.rejects(SoftwareKeyStore.open(join(dir, 'missing.json'), SECRET), (e) =>
      isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'),
    );
  });

  it('opens with a master key file instead of a passphrase', async () => {
    const path = join(dir, 'c.json');
    const masterKey = new Uint8Array(randomBytes(32));
    const ks = await SoftwareKeyStore.create(path, { masterKey });
    const { key, wrapped } = await ks.generateDataKey(ctx);
    await ks.close();
    const again = await SoftwareKeyStore.open(path, { masterKey });
    assert.deepEqual(await again.unwrapKey(wrapped, ctx), key);
    await assert.rejects(SoftwareKeyStore.open(path, { masterKey: new Uint8Array(randomBytes(32)) }), (e) =>
      isVerityError(e, 'VERITY_E_KEY_PASSPHRASE'),
    );
    await assert.rejects(SoftwareKeyStore.open(path, SECRET), (e) => isVerityError(e, 'VERITY_E_KEY_PASSPHRASE'));
  });

  it('rotates, binds context, and destroys irrecoverably', async () => {
    const path = join(dir, 'd.json');
    const ks = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    const old = await ks.generateDataKey(ctx);
    assert.equal(await ks.rotateKek(), 2);
    assert.equal(await ks.currentKekVersion(), 2);
    const fresh = await ks.wrapKey(old.key, ctx);
    assert.equal(fresh.kekVersion, 2);
    assert.deepEqual(await ks.unwrapKey(old.wrapped, ctx), old.key);
    assert.deepEqual(await ks.unwrapKey(fresh, ctx), old.key);
    await assert.rejects(ks.unwrapKey(fresh, utf8('subject-b')), (e) => isVerityError(e, 'VERITY_E_ENVELOPE_INVALID'));
    await assert.rejects(ks.unwrapKey({ kekVersion: 1, bytes: fresh.bytes }, ctx), (e) =>
      isVerityError(e, 'VERITY_E_ENVELOPE_INVALID'),
    );
    await assert.rejects(ks.destroyKek(2), (e) => isVerityError(e, 'VERITY_E_KEY_IN_USE'));
    const before = await readFile(path, 'utf8');
    await ks.destroyKek(1);
    assert.notEqual(await readFile(path, 'utf8'), before);
    await assert.rejects(ks.unwrapKey(old.wrapped, ctx), (e) => isVerityError(e, 'VERITY_E_KEY_DESTROYED'));
    assert.deepEqual(
      (await ks.listKeks()).map((k) => [k.version, k.state]),
      [
        [1, 'destroyed'],
        [2, 'active'],
      ],
    );
    await ks.close();
    const reopened = await SoftwareKeyStore.open(path, SECRET);
    await assert.rejects(reopened.unwrapKey(old.wrapped, ctx), (e) => isVerityError(e, 'VERITY_E_KEY_DESTROYED'));
    await reopened.close();
  });

  it('sees rotations by another instance and loses no concurrent change', async () => {
    const path = join(dir, 'e.json');
    const a = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    const b = await SoftwareKeyStore.open(path, SECRET);
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
    const c = await SoftwareKeyStore.open(path, SECRET);
    await c.sign('s1', utf8('x'));
    await c.sign('s2', utf8('x'));
    await c.mac('m1', utf8('x'));
    await c.mac('m2', utf8('x'));
    assert.equal(await c.currentKekVersion(), 3);
    // A MAC key another instance created after this one opened the file (an FF1 key made on one
    // node, used to decrypt on another) is found, not reported missing.
    await a.ensureMacKey('made-later');
    assert.deepEqual(await c.mac('made-later', utf8('x')), await a.mac('made-later', utf8('x')));
    for (const k of [a, b, c]) await k.close();
  });
});
