import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../test/helpers/env.ts';
import { toBase64Url, utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { SoftwareKeyStore } from '../keys/index.ts';
import { KeyProcess } from './index.ts';

const PASSPHRASE = 'a passphrase for the key process tests';
const ctx = utf8('subject-a');

describe('key process', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let file: string;
  let kp: KeyProcess;
  const events: string[] = [];
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    file = join(dir, 'keys.json');
    const ks = await SoftwareKeyStore.create(file, { passphrase: PASSPHRASE }, { kdf: { N: 1024, r: 8, p: 1 } });
    await ks.ensureSigningKey('log');
    await ks.ensureMacKey('pseudonyms');
    await ks.close();
    // The key process reads the secret from its own environment (inherited here).
    process.env['VERITY_PASSPHRASE'] = PASSPHRASE;
    kp = await KeyProcess.start({ kind: 'software', file }, { onEvent: (e) => events.push(e.type) });
  });
  after(async () => {
    await kp?.close();
    await cleanup();
  });

  it('answers every operation of the key store contract with the keys of the store it opened', async () => {
    const direct = await SoftwareKeyStore.open(file, { passphrase: PASSPHRASE });
    try {
      assert.equal(kp.kind, 'process:software');
      const { key, wrapped } = await kp.generateDataKey(ctx);
      assert.deepEqual(await direct.unwrapKey(wrapped, ctx), key);
      const w2 = await direct.wrapKey(key, ctx);
      assert.deepEqual(await kp.unwrapKey(w2, ctx), key);
      await assert.rejects(kp.unwrapKey(wrapped, utf8('subject-b')), (e) =>
        isVerityError(e, 'VERITY_E_ENVELOPE_INVALID'),
      );
      const pub = await kp.ensureSigningKey('log');
      assert.deepEqual(pub, await direct.ensureSigningKey('log'));
      const sig = await kp.sign('log', utf8('checkpoint'));
      const ko = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(pub) }, format: 'jwk' });
      assert.ok(verify(null, utf8('checkpoint'), ko, sig));
      assert.deepEqual(await kp.mac('pseudonyms', utf8('player-1')), await direct.mac('pseudonyms', utf8('player-1')));
      await assert.rejects(kp.mac('nope', utf8('x')), (e) => isVerityError(e, 'VERITY_E_KEY_NOT_FOUND'));
      // EVM keys of custodial wallets: made and used in the key process, the same keys as the file's.
      const evm = await kp.ensureEvmKey('wallet-a');
      assert.deepEqual(await direct.ensureEvmKey('wallet-a'), evm);
      const digest = new Uint8Array(32).fill(7);
      assert.deepEqual(await kp.signEvmDigest('wallet-a', digest), await direct.signEvmDigest('wallet-a', digest));
      await assert.rejects(kp.signEvmDigest('wallet-a', new Uint8Array(64 * 1024 + 1)), (e) =>
        isVerityError(e, 'VERITY_E_INPUT_INVALID'),
      );
    } finally {
      await direct.close();
    }
  });

  it('rotates and destroys KEKs inside the key process', async () => {
    const { wrapped } = await kp.generateDataKey(ctx);
    const v = await kp.rotateKek();
    assert.equal(await kp.currentKekVersion(), v);
    assert.deepEqual(
      (await kp.listKeks()).map((k) => [k.version, k.state]),
      [
        [wrapped.kekVersion, 'retired'],
        [v, 'active'],
      ],
    );
    await kp.destroyKek(wrapped.kekVersion);
    await assert.rejects(kp.unwrapKey(wrapped, ctx), (e) => isVerityError(e, 'VERITY_E_KEY_DESTROYED'));
  });

  it('sends the calls of one turn together and answers each in order', async () => {
    const keys = await Promise.all(Array.from({ length: 2000 }, (_, i) => kp.generateDataKey(utf8(`s-${i}`))));
    const back = await Promise.all(keys.map((k, i) => kp.unwrapKey(k.wrapped, utf8(`s-${i}`))));
    for (const [i, b] of back.entries()) assert.deepEqual(b, keys[i]?.key);
  });

  it('runs the calls between two changes side by side, and each change alone in its place (D344)', async () => {
    const before = await kp.currentKekVersion();
    const k = new Uint8Array(32).fill(9);
    // One turn, one message: wraps, a rotation, wraps.
    const [early, v, late] = await Promise.all([
      Promise.all(Array.from({ length: 50 }, () => kp.wrapKey(k, ctx))),
      kp.rotateKek(),
      Promise.all(Array.from({ length: 50 }, () => kp.wrapKey(k, ctx))),
    ]);
    assert.equal(v, before + 1);
    assert.deepEqual(new Set(early.map((w) => w.kekVersion)), new Set([before]));
    assert.deepEqual(new Set(late.map((w) => w.kekVersion)), new Set([v]));
    for (const w of [...early, ...late]) assert.deepEqual(await kp.unwrapKey(w, ctx), k);
  });

  it('refuses arguments beyond its limits (the HTTP process is not trusted with more)', async () => {
    await assert.rejects(kp.sign('log', new Uint8Array(64 * 1024 + 1)), (e) =>
      isVerityError(e, 'VERITY_E_INPUT_INVALID'),
    );
    await assert.rejects(kp.mac('x'.repeat(65), utf8('a')), (e) => isVerityError(e, 'VERITY_E_INPUT_INVALID'));
    // Still answering after a refusal.
    assert.equal((await kp.sign('log', utf8('a'))).byteLength, 64);
  });

  it('fails calls while the key process is down and recovers when it is back', async () => {
    const pid = kp.pid;
    assert.ok(pid !== undefined);
    const inFlight = kp.sign('log', utf8('one'));
    process.kill(pid, 'SIGKILL');
    await assert.rejects(inFlight, (e) => isVerityError(e, 'VERITY_E_KEY_PROCESS_DOWN'));
    await assert.rejects(kp.sign('log', utf8('two')), (e) => isVerityError(e, 'VERITY_E_KEY_PROCESS_DOWN'));
    for (let i = 0; i < 200 && !events.includes('up'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(events, ['down', 'up']);
    assert.notEqual(kp.pid, pid);
    assert.equal((await kp.sign('log', utf8('three'))).byteLength, 64);
  });

  it('refuses to start without the secret, naming it', async () => {
    const saved = process.env['VERITY_PASSPHRASE'];
    process.env['VERITY_PASSPHRASE'] = 'the wrong passphrase';
    try {
      await assert.rejects(KeyProcess.start({ kind: 'software', file }, { restart: false }), (e) =>
        isVerityError(e, 'VERITY_E_KEY_PASSPHRASE'),
      );
    } finally {
      process.env['VERITY_PASSPHRASE'] = saved;
    }
  });
});
