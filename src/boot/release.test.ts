// The release manifest and its check on a small file set: the signed note written by src/note and
// opened by the bootstrap's own verifier (and the other way round), the malformed manifests it
// refuses, each kind of tampering, and the measured-boot chain replayed by the SDK's code.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { replayEvents } from '../attestation/index.ts';
import { formatVerifierKey, openNote, parseVerifierKey, signNote } from '../note/index.ts';
import {
  collectRelease,
  manifestText,
  measure,
  parseManifestText,
  parseRootKey,
  type ReleaseManifest,
  verifyRelease,
} from './index.ts';

function keyPair(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  const signer = { name, publicKey: raw, sign: async (m: Uint8Array) => new Uint8Array(sign(null, m, privateKey)) };
  return { signer, vkey: formatVerifierKey(name, raw) };
}

const root = keyPair('verity-release');
const other = keyPair('verity-release');

/** A release of a few files: code in src/ and bin/, one dependency, a data directory's policy and configuration. */
function smallRelease(): { dir: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), 'verity-release-'));
  mkdirSync(join(dir, 'src', 'a'), { recursive: true });
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(dir, 'src', 'a', 'x.ts'), 'export const x = 1;\n');
  writeFileSync(join(dir, 'bin', 'verity'), '#!/bin/sh\n');
  symlinkSync('verity', join(dir, 'bin', 'alias'));
  writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), 'module.exports = 2;\n');
  writeFileSync(join(dir, 'package.json'), '{"version":"1.2.3"}\n');
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({ packages: { '': {}, 'node_modules/dep': {}, 'node_modules/devonly': { dev: true } } }),
  );
  const data = join(dir, 'data');
  mkdirSync(join(data, 'policies'), { recursive: true });
  writeFileSync(join(data, 'policies', 'verity.cedar'), 'permit(principal, action, resource);\n');
  writeFileSync(join(data, 'verity.json'), '{}\n');
  return { dir, data };
}

describe('release manifest', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function signed(): Promise<{ dir: string; data: string; m: ReleaseManifest; note: Buffer }> {
    const r = smallRelease();
    dirs.push(r.dir);
    const m = collectRelease({ root: r.dir, version: '1.2.3', data: r.data });
    return { ...r, m, note: Buffer.from(await signNote(manifestText(m), [root.signer])) };
  }

  it('covers code, production dependencies, policies and configuration, and round-trips', async () => {
    const { m, note } = await signed();
    assert.deepEqual(m.files.map((f) => `${f.group} ${f.kind} ${f.path}`).sort(), [
      'code file bin/verity',
      'code file package-lock.json',
      'code file package.json',
      'code file src/a/x.ts',
      'code link bin/alias',
      'configuration file @data/verity.json',
      'dependencies file node_modules/dep/index.js',
      'policies file @data/policies/verity.cedar',
    ]);
    const text = manifestText(m);
    assert.equal(manifestText(parseManifestText(text)), text);
    // The bootstrap's verifier and src/note agree on the signed note.
    assert.equal(openNote(note.toString(), [parseVerifierKey(root.vkey)]).text, text);
  });

  it('verifies the release and measures it; the SDK replays the same chain', async () => {
    const { dir, data, note, m } = await signed();
    const v = verifyRelease({ root: dir, data, note, rootKey: parseRootKey(root.vkey) });
    assert.equal(v.measurement.value, measure(manifestText(m), m).value);
    assert.deepEqual(
      v.measurement.events.map((e) => e.type),
      ['manifest', 'code', 'dependencies', 'policies', 'configuration'],
    );
    assert.equal(replayEvents(v.measurement.events), v.measurement.value);
    assert.equal(v.byPath.get(join(data, 'verity.json'))?.path, '@data/verity.json');
  });

  it('refuses each kind of tampering with its code, naming the file', async () => {
    const check = async (tamper: (dir: string, data: string) => void, code: string, file?: string) => {
      const { dir, data, note } = await signed();
      tamper(dir, data);
      assert.throws(
        () => verifyRelease({ root: dir, data, note, rootKey: parseRootKey(root.vkey) }),
        (e: Error & { code?: string; file?: string }) => e.code === code && (file === undefined || e.file === file),
      );
    };
    await check(
      (d) => writeFileSync(join(d, 'src', 'a', 'x.ts'), 'export const x = 2;\n'),
      'VERITY_E_BOOT_FILE_CHANGED',
      'src/a/x.ts',
    );
    await check((d) => writeFileSync(join(d, 'src', 'a', 'y.ts'), ''), 'VERITY_E_BOOT_FILE_ADDED', 'src/a/y.ts');
    await check(
      (d) => unlinkSync(join(d, 'node_modules', 'dep', 'index.js')),
      'VERITY_E_BOOT_FILE_MISSING',
      'node_modules/dep/index.js',
    );
    await check(
      (d) => {
        unlinkSync(join(d, 'bin', 'alias'));
        symlinkSync('/bin/sh', join(d, 'bin', 'alias'));
      },
      'VERITY_E_BOOT_FILE_CHANGED',
      'bin/alias',
    );
    await check(
      (_d, data) => writeFileSync(join(data, 'verity.json'), '{"x":1}\n'),
      'VERITY_E_BOOT_FILE_CHANGED',
      '@data/verity.json',
    );
  });

  it('refuses a changed manifest, a wrong root key, a missing data directory', async () => {
    const { dir, data, note } = await signed();
    const changed = Buffer.from(note.toString().replace('version 1.2.3', 'version 1.2.4'));
    const rootKey = parseRootKey(root.vkey);
    assert.throws(() => verifyRelease({ root: dir, data, note: changed, rootKey }), {
      code: 'VERITY_E_BOOT_SIGNATURE_INVALID',
    });
    assert.throws(() => verifyRelease({ root: dir, data, note, rootKey: parseRootKey(other.vkey) }), {
      code: 'VERITY_E_BOOT_SIGNATURE_INVALID',
    });
    assert.throws(() => verifyRelease({ root: dir, data: undefined, note, rootKey }), {
      code: 'VERITY_E_BOOT_MANIFEST_INVALID',
    });
  });

  it('refuses malformed manifests and root keys', async () => {
    const head = 'verity-release/1\nversion 1\n';
    const d = 'a'.repeat(64);
    for (const body of [
      `file code ${d} ../etc/passwd\n`,
      `file code ${d} /etc/passwd\n`,
      `file code ${d} src/x\nfile code ${d} src/x\n`,
      `file code ${'A'.repeat(64)} src/x\n`,
      `file nowhere ${d} src/x\n`,
      `cover code src/../..\n`,
      'anything else\n',
    ])
      assert.throws(() => parseManifestText(head + body), { code: 'VERITY_E_BOOT_MANIFEST_INVALID' }, body);
    assert.throws(() => parseManifestText('verity-release/2\nversion 1\n'), { code: 'VERITY_E_BOOT_MANIFEST_INVALID' });
    for (const k of ['', 'x+00000000+AAAA', root.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')])
      assert.throws(() => parseRootKey(k), { code: 'VERITY_E_BOOT_ROOT_INVALID' });
    // A note without any signature line, or with a malformed one.
    const { dir, data } = await signed();
    for (const note of [`${head}`, `${head}\n— verity-release !!!\n`])
      assert.throws(
        () => verifyRelease({ root: dir, data, note: Buffer.from(note), rootKey: parseRootKey(root.vkey) }),
        {
          code: 'VERITY_E_BOOT_MANIFEST_INVALID',
        },
      );
  });
});
