// `verity keys migrate`: a data directory's keys move from the key file into a PKCS#11 token
// (SoftHSM2, a token of this test's own) and back, every subject key re-wrapped and the move
// logged; the log's key and the subject references stay the same, so everything reads as before.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Pkcs11KeyStore, SoftwareKeyStore } from '../src/keys/index.ts';
import { type CliRun, errorOf, hsmFixture, ok, TEST_PIN, verityCli } from './helpers/softhsm.ts';

const TOKEN = 'verity-migrate';
const PASS = 'migrate test passphrase';
const f = hsmFixture(TOKEN);

/** The CLI with only the secrets named: 'pass' (the key file's passphrase) and/or 'pin'. */
function verity(args: string[], secrets: ('pass' | 'pin')[], input = ''): CliRun {
  return verityCli(
    args,
    {
      ...(secrets.includes('pass') ? { VERITY_PASSPHRASE: PASS } : {}),
      ...(secrets.includes('pin') ? { VERITY_HSM_PIN_FILE: f.pinFile } : {}),
    },
    input,
  );
}

const put = (data: string, subject: string, body: string, secrets: ('pass' | 'pin')[]) =>
  JSON.parse(
    ok(
      verity(
        ['records', 'put', '--data', data, '--subject', subject, '--type', 'profile', '--purpose', 'service-provision'],
        secrets,
        body,
      ),
    ).stdout,
  ).id as string;
const get = (data: string, id: string, secrets: ('pass' | 'pin')[]) =>
  verity(['records', 'get', '--data', data, '--purpose', 'service-provision', id], secrets);

describe('verity keys migrate', () => {
  it('moves a data directory from the key file to the HSM and back, logged, reading everything on each side', async () => {
    const data = join(f.dir, 'round', 'data');
    const made = JSON.parse(ok(verity(['init', '--data', data], ['pass'])).stdout);
    const keyFile = made.keystore as string;
    const config = () => JSON.parse(readFileSync(join(data, 'verity.json'), 'utf8'));
    const verifierKey = config().verifierKey;
    const ids = ['p1', 'p2', 'p3'].map((s) => put(data, s, `{"who":"${s}"}`, ['pass']));
    // The chain account every `verity serve` on the embedded chain makes (D321): it moves too, the
    // same account, or the chain's roles and funds would be lost.
    const file = await SoftwareKeyStore.open(keyFile, { passphrase: PASS });
    const account = await file.ensureEvmKey('chain-platform');
    await file.close();

    // Into the token: the passphrase opens the old store, the PIN the new one.
    const toHsm = verity(
      ['keys', 'migrate', '--data', data, '--to', 'hsm', '--hsm-module', f.hsm.module, '--hsm-token', TOKEN],
      ['pass', 'pin'],
    );
    const r1 = JSON.parse(ok(toHsm).stdout);
    assert.equal(r1.from, 'software');
    assert.equal(r1.to, 'pkcs11');
    assert.equal(r1.rewrapped, 3);
    assert.equal(config().keystore.kind, 'pkcs11');
    assert.equal(config().verifierKey, verifierKey);
    const hsm = config().keystore as { module: string; token: string; namespace: string };
    const token = await Pkcs11KeyStore.open({
      module: hsm.module,
      tokenLabel: hsm.token,
      namespace: hsm.namespace,
      pin: TEST_PIN,
    });
    try {
      assert.deepEqual((await token.namedKeys()).evm, [{ name: 'chain-platform', publicKey: account }]);
    } finally {
      await token.close();
    }
    // Now the PIN alone opens it; the passphrase alone does not.
    for (const [i, id] of ids.entries())
      assert.deepEqual(JSON.parse(ok(get(data, id, ['pin'])).stdout).data, { who: `p${i + 1}` });
    assert.equal(errorOf(get(data, ids[0] as string, ['pass'])).code, 'VERITY_E_HSM_PIN');
    const p4 = put(data, 'p4', '{"who":"p4"}', ['pin']);
    ok(verity(['log', 'verify', '--data', data], []));
    const entries = JSON.parse(ok(verity(['log', 'entries', '--data', data, '--from', '0'], [])).stdout) as {
      entry?: { action: string; details?: { from?: string; to?: string; count?: number } };
    }[];
    const migrated = entries.find((x) => x.entry?.action === 'key.migrate');
    assert.deepEqual(migrated?.entry?.details, { from: 'software', to: 'pkcs11' });
    assert.ok(entries.some((x) => x.entry?.action === 'key.rewrap' && x.entry.details?.count === 3));

    // And back, to the key file it came from (which holds the log's key and the MAC keys).
    const back = verity(
      ['keys', 'migrate', '--data', data, '--to', 'software', '--keystore', keyFile],
      ['pass', 'pin'],
    );
    const r2 = JSON.parse(ok(back).stdout);
    assert.equal(r2.from, 'pkcs11');
    assert.equal(r2.rewrapped, 4);
    assert.ok(r2.kekVersion > r1.kekVersion);
    assert.deepEqual(config().keystore, { kind: 'software', file: keyFile });
    for (const id of [...ids, p4]) ok(get(data, id, ['pass']));
    put(data, 'p5', '{"who":"p5"}', ['pass']);
    ok(verity(['log', 'verify', '--data', data], []));
    // Every older KEK of the key file is destroyed: only the current one wraps anything.
    const keks = JSON.parse(ok(verity(['keys', 'list', '--data', data], ['pass'])).stdout) as {
      state: string;
      subjectKeys: number;
    }[];
    assert.deepEqual(
      keks.map((k) => k.state),
      [...keks.slice(0, -1).map(() => 'destroyed'), 'active'],
    );
    assert.equal(keks.at(-1)?.subjectKeys, 5);
  });

  it('refuses to leave the HSM for a key file without the named keys, which never leave the token', () => {
    const data = join(f.dir, 'born', 'data');
    ok(verity(['init', '--data', data, '--hsm-module', f.hsm.module, '--hsm-token', TOKEN], ['pin']));
    const id = put(data, 'p1', '{"x":1}', ['pin']);
    const other = JSON.parse(ok(verity(['init', '--data', join(f.dir, 'born', 'other')], ['pass'])).stdout);
    const r = verity(
      ['keys', 'migrate', '--data', data, '--to', 'software', '--keystore', other.keystore as string],
      ['pass', 'pin'],
    );
    assert.equal(r.code, 1);
    assert.equal(errorOf(r).code, 'VERITY_E_KEY_NOT_FOUND');
    // Nothing changed.
    assert.equal(JSON.parse(readFileSync(join(data, 'verity.json'), 'utf8')).keystore.kind, 'pkcs11');
    ok(get(data, id, ['pin']));
  });
});
