// A data directory whose keys live in a PKCS#11 token (SoftHSM2, a token of this test's own):
// `verity init` with an HSM, the PIN from a file or the environment (never printed), and
// crypto-shredding that holds even against a full copy of the data directory made before it,
// since no key of any kind is in the data directory or beside it.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnServe } from './helpers/server.ts';
import { type CliRun, errorOf, hsmFixture, ok, TEST_PIN, verityCli } from './helpers/softhsm.ts';

const TOKEN = 'verity-data';
const f = hsmFixture(TOKEN);

/** The CLI with the token's PIN from a file (or as `env` says) and no other Verity secret. */
function verity(args: string[], env: Record<string, string> = {}, input = ''): CliRun {
  return verityCli(args, { VERITY_HSM_PIN_FILE: f.pinFile, ...env }, input);
}

const PUT = ['records', 'put', '--subject', 'p1', '--type', 'profile', '--purpose', 'service-provision'];
const GET = ['records', 'get', '--purpose', 'service-provision'];

describe('data directory with an HSM key store', () => {
  it('init keeps every key in the token: verity.json names the module and token, no key file is made', () => {
    const data = join(f.dir, 'init', 'data');
    const made = JSON.parse(
      ok(verity(['init', '--data', data, '--hsm-module', f.hsm.module, '--hsm-token', TOKEN])).stdout,
    );
    assert.equal(made.keystore.kind, 'pkcs11');
    assert.deepEqual(readdirSync(join(f.dir, 'init')), ['data']);
    const config = JSON.parse(readFileSync(join(data, 'verity.json'), 'utf8'));
    assert.deepEqual(Object.keys(config.keystore).sort(), ['kind', 'module', 'namespace', 'token']);
    assert.match(config.keystore.namespace, /^verity-[0-9a-f]{12}$/);
    const id = JSON.parse(ok(verity([...PUT, '--data', data], {}, '{"secret":"s3"}')).stdout).id as string;
    assert.deepEqual(JSON.parse(ok(verity([...GET, '--data', data, id])).stdout).data, { secret: 's3' });
    // The PIN from the environment works too; a wrong one, none, or a passphrase instead do not.
    ok(verity([...GET, '--data', data, id], { VERITY_HSM_PIN_FILE: '', VERITY_HSM_PIN: TEST_PIN }));
    const wrong = verity([...GET, '--data', data, id], { VERITY_HSM_PIN_FILE: '', VERITY_HSM_PIN: 'not-the-pin' });
    assert.equal(wrong.code, 1);
    assert.equal(errorOf(wrong).code, 'VERITY_E_HSM_PIN');
    const none = verity([...GET, '--data', data, id], { VERITY_HSM_PIN_FILE: '', VERITY_PASSPHRASE: 'x' });
    assert.equal(errorOf(none).code, 'VERITY_E_HSM_PIN');
    // A token that is not there.
    writeFileSync(
      join(data, 'verity.json'),
      JSON.stringify({ ...config, keystore: { ...config.keystore, token: 'gone' } }),
    );
    assert.equal(errorOf(verity([...GET, '--data', data, id])).code, 'VERITY_E_HSM_TOKEN_NOT_FOUND');
    writeFileSync(join(data, 'verity.json'), JSON.stringify(config));
    // A module where someone other than root could have written it (a copy in a temporary folder,
    // as someone able to write verity.json would plant one) is not loaded (D419) unless the operator
    // names it in VERITY_HSM_MODULE.
    const planted = join(f.dir, 'init', 'planted.so');
    copyFileSync(f.hsm.module, planted);
    writeFileSync(
      join(data, 'verity.json'),
      JSON.stringify({ ...config, keystore: { ...config.keystore, module: planted } }),
    );
    const refused = verity([...GET, '--data', data, id]);
    assert.equal(errorOf(refused).code, 'VERITY_E_HSM_MODULE');
    assert.match(errorOf(refused).message, /could have been written by someone other than root.*VERITY_HSM_MODULE/);
    ok(verity([...GET, '--data', data, id], { VERITY_HSM_MODULE: planted }));
    // A link to root's module is loaded by the link's target: changing the link later changes nothing.
    const link = join(f.dir, 'init', 'link.so');
    symlinkSync(f.hsm.module, link);
    writeFileSync(
      join(data, 'verity.json'),
      JSON.stringify({ ...config, keystore: { ...config.keystore, module: link } }),
    );
    ok(verity([...GET, '--data', data, id]));
    writeFileSync(join(data, 'verity.json'), JSON.stringify(config));
    // Half an HSM configuration is a usage error.
    const half = verity(['init', '--data', join(f.dir, 'init', 'other'), '--hsm-token', TOKEN]);
    assert.equal(half.code, 2);
  });

  it('a full copy of the data directory made before a shred cannot decrypt the shredded subject', () => {
    const data = join(f.dir, 'shred', 'data');
    ok(verity(['init', '--data', data, '--hsm-module', f.hsm.module, '--hsm-token', TOKEN]));
    const gone = JSON.parse(ok(verity([...PUT, '--data', data], {}, '{"secret":"bye"}')).stdout).id as string;
    const stays = JSON.parse(
      ok(verity([...PUT.map((a) => (a === 'p1' ? 'p2' : a)), '--data', data], {}, '{"ok":true}')).stdout,
    ).id as string;
    // Everything: the database, its configuration, the policies. With a software key store the
    // key file would have to be copied too; here there is nothing else to copy.
    const backup = join(f.dir, 'shred', 'backup');
    cpSync(data, backup, { recursive: true });
    ok(verity([...GET, '--data', backup, gone]));
    ok(verity(['subjects', 'shred', '--data', data, '--subject', 'p1', '--purpose', 'erasure-request']));
    const r = verity([...GET, '--data', backup, gone]);
    assert.equal(r.code, 1);
    assert.equal(errorOf(r).code, 'VERITY_E_KEY_DESTROYED');
    assert.ok(!r.stderr.includes('bye'));
    // Other subjects were re-wrapped under the new KEK: the live directory still reads them.
    assert.deepEqual(JSON.parse(ok(verity([...GET, '--data', data, stays])).stdout).data, { ok: true });
  });

  it('verity serve opens the token in its key process, which reads the PIN from its own environment', async () => {
    const data = join(f.dir, 'serve', 'data');
    ok(verity(['init', '--data', data, '--hsm-module', f.hsm.module, '--hsm-token', TOKEN]));
    const token = ok(
      verity([
        'tokens',
        'create',
        '--data',
        data,
        '--principal',
        'world',
        '--role',
        'service',
        '--record-types',
        'profile',
      ]),
    ).stdout.trim();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('VERITY_')) delete env[k];
    const server = await spawnServe(['--data', data, '--port', '0'], { ...env, VERITY_HSM_PIN_FILE: f.pinFile });
    try {
      const r = await fetch(`${server.url}/v1/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subject: 'p9', type: 'profile', purpose: 'service-provision', data: { n: 9 } }),
      });
      assert.equal(r.status, 201, await r.text());
      assert.ok(!server.output().includes(TEST_PIN), 'the PIN was printed');
    } finally {
      await server.stop();
    }
  });
});
