// Secure boot and remote attestation (FGMV-46 7.3.3) end to end: a real release (this checkout's
// code and production dependencies, copied to a temporary directory) signed with `verity release
// sign`, a server started from it with the pinned root key, and its refusals to start on each kind
// of tampering (a changed, added or missing file, a changed policy, a changed manifest, a wrong
// root key, a module loaded that the manifest does not list), checked on the spawned process's exit status and message. Then the SDK's attestation
// over HTTP: accepted with the reference value, refused for a stale nonce, a wrong key, an unknown
// measurement and altered evidence.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { initDataDir, openDataDirReadOnly } from '../src/embedded/index.ts';
import { formatVerifierKey, signNote } from '../src/note/index.ts';
import { attest, newNonce, verifyAttestation } from '../src/sdk/index.ts';
import { TEST_KDF, TEST_SECRET, tempDir } from './helpers/env.ts';
import { runVerity, stopNode, type VerityRun } from './helpers/node.ts';

const ROOT = join(import.meta.dirname, '..');

/** The environment of a spawned `verity`: this Node.js, no compile cache, the test passphrase. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    VERITY_NODE: process.execPath,
    VERITY_PASSPHRASE: TEST_SECRET.passphrase,
  };
  delete e['NODE_COMPILE_CACHE'];
  delete e['VERITY_RELEASE_ROOT'];
  delete e['VERITY_RELEASE_MANIFEST'];
  return e;
}

/** Runs the copied release's `bin/verity` to its end. */
function run(bin: string, args: readonly string[]): Promise<VerityRun> {
  return runVerity(args, { bin, env: env() });
}

/** Starts `verity serve` from the copied release; resolves with its URL once it printed `until`. */
function serve(
  bin: string,
  args: readonly string[],
  until: string,
): Promise<{ url: string; text: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--port', '0', ...args], { env: env() });
    let text = '';
    const onData = (c: Buffer) => {
      text += c.toString();
      const m = /serving (http:\/\/\S+)/.exec(text);
      if (m !== null && text.includes(until)) resolve({ url: m[1] as string, text, child });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${text}`)));
  });
}

/** The one error line a refused start prints. */
function refusal(r: VerityRun): { code: string; message: string } {
  const line = r.stderr.trim().split('\n').at(-1) ?? '';
  return (JSON.parse(line) as { error: { code: string; message: string } }).error;
}

describe('secure boot and remote attestation', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let release: string;
  let bin: string;
  let data: string;
  let rootPub: string;
  let otherPub: string;
  let measurement: string;

  before(async () => {
    tmp = await tempDir('verity-boot-');
    release = join(tmp.dir, 'release');
    // The release: this checkout's code and production dependencies (what `release sign` covers).
    for (const d of ['bin', 'scripts', 'src', 'package.json', 'package-lock.json'])
      cpSync(join(ROOT, d), join(release, d), { recursive: true });
    const { productionPackages } = await import('../src/boot/release.ts');
    // Optional packages for other platforms are in the lockfile but not on disk.
    for (const p of productionPackages(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')))
      if (existsSync(join(ROOT, p)))
        cpSync(join(ROOT, p), join(release, p), { recursive: true, verbatimSymlinks: true });
    bin = join(release, 'bin', 'verity');
    data = join(tmp.dir, 'data');
    await initDataDir(data, { secret: TEST_SECRET, kdf: TEST_KDF });
    for (const name of ['root', 'other']) {
      const r = await run(bin, ['release', 'keygen', '--out', join(tmp.dir, `${name}.key`)]);
      assert.equal(r.code, 0, r.stderr);
    }
    rootPub = join(tmp.dir, 'root.key.pub');
    otherPub = join(tmp.dir, 'other.key.pub');
    const signed = await run(bin, ['release', 'sign', '--key', join(tmp.dir, 'root.key'), '--data', data]);
    assert.equal(signed.code, 0, signed.stderr);
    measurement = (JSON.parse(signed.stdout) as { measurement: string }).measurement;
    assert.match(measurement, /^[0-9a-f]{64}$/);
  });

  after(async () => {
    await tmp?.cleanup();
  });

  /** Starts the release with the pinned root key; it must refuse with `code`, naming `file`. */
  async function refuses(code: string, file: string | undefined, extra: readonly string[] = []): Promise<void> {
    const r = await run(bin, ['start', '--data', data, '--port', '0', '--release-root', rootPub, ...extra]);
    assert.equal(r.code, 1, `expected a refusal, got ${r.code}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /Verity is running/);
    const e = refusal(r);
    assert.equal(e.code, code, e.message);
    if (file !== undefined) assert.ok(e.message.includes(file), `the message names ${file}: ${e.message}`);
  }

  /** Appends a line to `file`, expects the start refused as a change of `named`, restores the file. */
  async function refusesChanged(file: string, named: string): Promise<void> {
    const text = readFileSync(file);
    appendFileSync(file, '\n// changed\n');
    try {
      await refuses('VERITY_E_BOOT_FILE_CHANGED', named);
    } finally {
      writeFileSync(file, text);
    }
  }

  it('says why a key cannot be written or read: a missing folder, a key already there, not a key', async () => {
    const missing = await run(bin, ['release', 'keygen', '--out', join(tmp.dir, 'no-such-folder', 'k.key')]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.deepEqual(refusal(missing).code, 'VERITY_E_INPUT_INVALID');
    assert.match(refusal(missing).message, /its folder does not exist/);
    const again = await run(bin, ['release', 'keygen', '--out', join(tmp.dir, 'root.key')]);
    assert.match(refusal(again).message, /exists already and is never overwritten/);
    const notKey = await run(bin, ['release', 'sign', '--key', rootPub]);
    assert.equal(refusal(notKey).code, 'VERITY_E_BOOT_ROOT_INVALID');
    assert.match(refusal(notKey).message, /is not a PEM private key/);
  });

  it('refuses to start on a changed file, naming it', async () => {
    await refusesChanged(join(release, 'src', 'cli', 'main.ts'), 'src/cli/main.ts');
  });

  it('refuses to start on an added file in a covered directory, naming it', async () => {
    const file = join(release, 'src', 'server', 'backdoor.ts');
    writeFileSync(file, 'export {};\n');
    try {
      await refuses('VERITY_E_BOOT_FILE_ADDED', 'src/server/backdoor.ts');
    } finally {
      rmSync(file);
    }
  });

  it('refuses to start on a missing file, naming it', async () => {
    const file = join(release, 'node_modules', 'fastify', 'package.json');
    renameSync(file, `${file}.away`);
    try {
      await refuses('VERITY_E_BOOT_FILE_MISSING', 'node_modules/fastify/package.json');
    } finally {
      renameSync(`${file}.away`, file);
    }
  });

  it('refuses to start on a changed policy of the data directory', async () => {
    await refusesChanged(join(data, 'policies', 'verity.cedar'), '@data/policies/verity.cedar');
  });

  it('refuses to start on policy files signed into a release but not installed (D416)', async () => {
    const file = join(data, 'policies', 'verity.cedar');
    const text = readFileSync(file);
    const sign = async () => {
      const r = await run(bin, ['release', 'sign', '--key', join(tmp.dir, 'root.key'), '--data', data]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { measurement: string }).measurement;
    };
    appendFileSync(file, '\n// edited, signed, never installed\n');
    try {
      await sign();
      // The boot measures the files; the state decides: they must agree.
      await refuses('VERITY_E_POLICY_NOT_INSTALLED', `verity policy install --data ${data}`);
    } finally {
      writeFileSync(file, text);
      measurement = await sign();
    }
  });

  it('refuses to start on a changed manifest', async () => {
    const note = readFileSync(join(release, 'verity-release.note'), 'utf8');
    // One file's hash replaced by that of other content: the signature no longer covers the text.
    const changed = note.replace(
      /^file code [0-9a-f]{64} src\/cli\/main\.ts$/m,
      `file code ${'0'.repeat(64)} src/cli/main.ts`,
    );
    assert.notEqual(changed, note);
    const file = join(tmp.dir, 'changed.note');
    writeFileSync(file, changed);
    await refuses('VERITY_E_BOOT_SIGNATURE_INVALID', undefined, ['--release-manifest', file]);
  });

  it('refuses to start with a wrong root key', async () => {
    const r = await run(bin, ['serve', '--data', data, '--port', '0', '--release-root', otherPub]);
    assert.equal(r.code, 1);
    const e = refusal(r);
    assert.equal(e.code, 'VERITY_E_BOOT_SIGNATURE_INVALID');
    assert.match(e.message, /not signed by the pinned root key/);
  });

  it('refuses a root key that is not a verifier key', async () => {
    const file = join(tmp.dir, 'garbage.pub');
    writeFileSync(file, 'not a key\n');
    await refuses('VERITY_E_BOOT_ROOT_INVALID', undefined, ['--release-root', file]);
  });

  it('refuses a module the manifest does not list when Node.js loads it (the load hook)', async () => {
    // A manifest signed by the root key that neither covers src/ nor lists src/cli/main.ts: the
    // check before loading passes, and the load hook refuses the module when the CLI imports it.
    const note = readFileSync(join(release, 'verity-release.note'), 'utf8');
    const text = note
      .slice(0, note.lastIndexOf('\n\n') + 1)
      .split('\n')
      .filter((l) => l !== 'cover code src' && !/^file code [0-9a-f]{64} src\/cli\/main\.ts$/.test(l))
      .join('\n');
    const key = createPrivateKey(readFileSync(join(tmp.dir, 'root.key')));
    const raw = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12));
    const signer = {
      name: 'verity-release',
      publicKey: raw,
      sign: async (m: Uint8Array) => new Uint8Array(sign(null, m, key)),
    };
    const file = join(tmp.dir, 'partial.note');
    writeFileSync(file, await signNote(text, [signer]));
    await refuses('VERITY_E_BOOT_UNMEASURED', 'src/cli/main.ts', ['--release-manifest', file]);
  });

  it('starts the signed release, logs the measured boot and attests it to the SDK over HTTP', async () => {
    const { url, text, child } = await serve(bin, ['--data', data, '--release-root', rootPub], '(GET /v1/attestation');
    let bootEntry: number;
    try {
      assert.ok(text.includes(`measurement ${measurement}`), text);
      const attestationKey = /attestation: {2}(\S+)/.exec(text)?.[1] as string;
      const logKey = /log key: {2}(\S+)/.exec(text)?.[1] as string;
      const pinned = { referenceValues: [measurement], verifierKey: attestationKey, logKey };

      // The SDK with a fresh nonce of its own: accepted.
      const evidence = await attest(url, pinned);
      assert.equal(evidence.measurement, measurement);
      assert.equal(evidence.logKey, logKey);
      bootEntry = evidence.bootEntry;

      // An answer to an earlier nonce, replayed when a new one was asked: stale.
      const nonce = newNonce();
      const answer = (await (await fetch(`${url}/v1/attestation?nonce=${nonce}`)).json()) as {
        evidence: Record<string, unknown>;
        signature: string;
      };
      await verifyAttestation(answer, { ...pinned, nonce });
      await assert.rejects(verifyAttestation(answer, { ...pinned, nonce: newNonce() }), {
        code: 'VERITY_E_ATTESTATION_NONCE',
      });
      // The same answer checked an hour later: too old.
      await assert.rejects(verifyAttestation(answer, { ...pinned, nonce, now: Date.now() + 3_600_000 }), {
        code: 'VERITY_E_ATTESTATION_NONCE',
      });
      // Another attestation key pinned: wrong key.
      const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
      await assert.rejects(
        verifyAttestation(answer, {
          ...pinned,
          nonce,
          verifierKey: formatVerifierKey('verity-attestation', new Uint8Array(other)),
        }),
        { code: 'VERITY_E_ATTESTATION_KEY' },
      );
      await assert.rejects(verifyAttestation(answer, { ...pinned, nonce, logKey: 'x' }), {
        code: 'VERITY_E_ATTESTATION_KEY',
      });
      // A release the caller does not know: unknown measurement.
      await assert.rejects(attest(url, { ...pinned, referenceValues: ['ab'.repeat(32)] }), {
        code: 'VERITY_E_ATTESTATION_MEASUREMENT',
      });
      // Evidence altered to claim the known measurement of another boot: the signature fails.
      const forged = { ...answer, evidence: { ...answer.evidence, runtime: 'node v99 enclave' } };
      await assert.rejects(verifyAttestation(forged, { ...pinned, nonce }), { code: 'VERITY_E_ATTESTATION_INVALID' });
      // A nonce that is not 16 to 64 bytes of base64url is refused by the server.
      const bad = await fetch(`${url}/v1/attestation?nonce=short`);
      assert.equal(bad.status, 400);
    } finally {
      await stopNode(child);
    }
    // The measured boot is one entry of the transparency log: the chain's value and every event.
    const ro = await openDataDirReadOnly(data);
    try {
      const [bytes] = await ro.log.entries(bootEntry, bootEntry + 1);
      const entry = decodeAuditEntry(bytes as Uint8Array);
      assert.equal(entry.action, 'boot.measure');
      assert.equal(entry.details?.['measurement'], measurement);
      assert.equal(typeof entry.details?.['eventLog'], 'string');
      assert.equal(entry.details?.['events'], 5);
    } finally {
      await ro.close();
    }
  });

  it('answers 503 at /v1/attestation when started without secure boot (development)', async () => {
    const { url, child } = await serve(bin, ['--data', data], 'log size:');
    try {
      const res = await fetch(`${url}/v1/attestation?nonce=${newNonce()}`);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'VERITY_E_ATTESTATION_UNAVAILABLE');
    } finally {
      await stopNode(child);
    }
  });
});
