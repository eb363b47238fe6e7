import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { signAsync } from '@noble/secp256k1';
import { tempDir } from '../../test/helpers/env.ts';
import { keyStoreConformance } from '../../test/helpers/keystore-conformance.ts';
import { toBase64, utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { type NamedKeys, SoftwareKeyStore, wipeNamedKeys } from './index.ts';

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

  it('creates a sealed key file (mode 0600) with no key in plaintext, and never overwrites it', async () => {
    const path = join(dir, 'a.json');
    const ks = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    const { key } = await ks.generateDataKey(ctx);
    await ks.ensureMacKey('index');
    const pub = await ks.ensureSigningKey('log');
    await ks.close();
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(toBase64(key)));
    assert.ok(!text.includes(toBase64(pub)));
    await assert.rejects(SoftwareKeyStore.create(path, SECRET, { kdf: KDF }), (e) =>
      isVerityError(e, 'VERITY_E_CONFIG_INVALID'),
    );
  });

  it('keeps EVM keys sealed in the key file, and exports them with the named keys for a migration', async () => {
    const path = join(dir, 'evm.json');
    const ks = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    await ks.ensureSigningKey('log');
    const before = await ks.exportNamedKeys();
    assert.equal(before.signing.length, 1);
    assert.deepEqual(before.evm, []);
    const pub = await ks.ensureEvmKey('wallet-a');
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes(Buffer.from(pub).toString('hex')) && !text.includes(toBase64(pub)));
    const named = await ks.exportNamedKeys();
    assert.equal(named.evm.length, 1);
    const k = named.evm[0] as NamedKeys['evm'][number];
    assert.equal(k.name, 'wallet-a');
    assert.deepEqual(k.publicKey, pub);
    // The exported secret is the key that signs for the account.
    const digest = new Uint8Array(32).fill(7);
    const sig = await ks.signEvmDigest('wallet-a', digest);
    assert.deepEqual(await signAsync(digest, k.secretKey, { prehash: false }), sig);
    wipeNamedKeys(named);
    assert.ok(k.secretKey.every((b) => b === 0));
    await ks.close();
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

  it('wraps under a KEK another process rotated to before the call, also when a check of the file was running then (D343)', async () => {
    const path = join(dir, 'r.json');
    const a = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    // The file as another process leaves it after a rotation, made aside and copied in below.
    await copyFile(path, `${path}.next`);
    const other = await SoftwareKeyStore.open(`${path}.next`, SECRET);
    await other.rotateKek();
    await other.close();
    const rotated = readFileSync(`${path}.next`);
    const early = Array.from({ length: 32 }, () => a.wrapKey(new Uint8Array(32).fill(1), ctx));
    // The rotation lands while the early wraps' check of the file may be running: wraps asked for
    // after it must not share that check.
    writeFileSync(path, rotated);
    utimesSync(path, new Date(), new Date(Date.now() + 60_000));
    const late = await Promise.all(Array.from({ length: 32 }, () => a.wrapKey(new Uint8Array(32).fill(2), ctx)));
    assert.deepEqual(new Set(late.map((w) => w.kekVersion)), new Set([2]));
    for (const w of await Promise.all(early)) assert.ok(w.kekVersion === 1 || w.kekVersion === 2);
    for (const w of late) assert.deepEqual(await a.unwrapKey(w, ctx), new Uint8Array(32).fill(2));
    await a.close();
  });

  it('ends each write after the time of the file it replaces, so another process sees it, even within one clock tick (D355)', async () => {
    const path = join(dir, 't.json');
    const a = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    // The file's time ahead of the clock: a write in the same tick, or after the clock was set back,
    // would get a time no later than it.
    const ahead = Date.now() + 60_000;
    utimesSync(path, new Date(), new Date(ahead));
    const c = await SoftwareKeyStore.open(path, SECRET);
    await a.ensureMacKey('made-later');
    assert.ok((await stat(path)).mtimeMs > ahead, 'the write ends after the file it replaced');
    // The other instance, which read the file at its old time, finds the new key.
    assert.deepEqual(await c.mac('made-later', utf8('x')), await a.mac('made-later', utf8('x')));
    await a.ensureMacKey('and-another');
    assert.ok((await stat(path)).mtimeMs > ahead + 1);
    await c.mac('and-another', utf8('x'));
    await a.close();
    await c.close();
  });

  it('removes a destroyed KEK from the key file', async () => {
    const path = join(dir, 'd.json');
    const ks = await SoftwareKeyStore.create(path, SECRET, { kdf: KDF });
    await ks.rotateKek();
    const before = await readFile(path, 'utf8');
    await ks.destroyKek(1);
    assert.notEqual(await readFile(path, 'utf8'), before);
    await ks.close();
  });
});

let n = 0;
let shared: { dir: string; cleanup: () => Promise<void> } | undefined;
keyStoreConformance('software', {
  async create() {
    shared ??= await tempDir();
    const name = join(shared.dir, `k${n++}.json`);
    return { ks: await SoftwareKeyStore.create(name, SECRET, { kdf: KDF }), name };
  },
  open: (name) => SoftwareKeyStore.open(name, SECRET),
});
after(() => shared?.cleanup());
