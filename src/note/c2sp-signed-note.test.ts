// C2SP signed-note and tlog-checkpoint, checked against real signed tree heads of the Go checksum
// database (a public RFC 6962 log; copied into test/vectors/c2sp-signed-note/) and round trips.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toHex } from '../encoding/index.ts';
import { isVerityError, VerityError } from '../errors/index.ts';
import {
  formatCheckpoint,
  formatVerifierKey,
  type NoteSigner,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  verifyCheckpoint,
} from './index.ts';

const DIR = join(import.meta.dirname, '..', '..', 'test', 'vectors', 'c2sp-signed-note');
const SUMDB_KEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';
const NOTES = ['checkpoint-3935567.txt', 'checkpoint-6476701.txt'].map((f) => readFileSync(join(DIR, f), 'utf8'));

function signer(name: string): NoteSigner & { vkey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  return {
    name,
    publicKey: raw,
    sign: async (m) => new Uint8Array(sign(null, m, privateKey)),
    vkey: formatVerifierKey(name, raw),
  };
}

describe('C2SP signed notes: Go checksum database checkpoints', () => {
  const v = parseVerifierKey(SUMDB_KEY);

  it('parses the verifier key', () => {
    assert.equal(v.name, 'sum.golang.org');
    assert.equal(toHex(v.keyHash), '033de0ae');
    assert.equal(formatVerifierKey(v.name, v.publicKey), SUMDB_KEY);
  });

  it('verifies both real checkpoints and parses them', () => {
    const sizes = NOTES.map((n) => verifyCheckpoint(n, v, 'go.sum database tree').checkpoint.size);
    assert.deepEqual(sizes, [3935567, 6476701]);
  });

  it('refuses every single-byte change of either note', () => {
    for (const note of NOTES) {
      const bytes = Buffer.from(note, 'utf8');
      for (let i = 0; i < bytes.length; i++) {
        for (const delta of [1, 0x20]) {
          const b = Buffer.from(bytes);
          b[i] = (b[i] as number) ^ delta;
          let accepted = false;
          try {
            verifyCheckpoint(b.toString('utf8'), v);
            accepted = true;
          } catch (e) {
            assert.ok(e instanceof VerityError, `byte ${i}: ${String(e)}`);
          }
          assert.equal(accepted, false, `changing byte ${i} by ${delta} was accepted`);
        }
      }
    }
  });

  it('refuses a note without a known signer', () => {
    const other = signer('other.example');
    assert.throws(
      () => openNote(NOTES[0] as string, [parseVerifierKey(other.vkey)]),
      (e) => isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID'),
    );
  });
});

describe('signing and opening notes', () => {
  it('round-trips a checkpoint signed by two keys', async () => {
    const a = signer('log.example/a');
    const b = signer('witness.example');
    const body = formatCheckpoint({
      origin: 'log.example/a',
      size: 42,
      rootHash: new Uint8Array(32).fill(7),
      extensions: ['ext line'],
    });
    const note = await signNote(body, [a, b]);
    const opened = openNote(note, [parseVerifierKey(a.vkey), parseVerifierKey(b.vkey)]);
    assert.equal(opened.text, body);
    assert.deepEqual(
      opened.verified.map((s) => s.name),
      ['log.example/a', 'witness.example'],
    );
    const onlyA = openNote(note, [parseVerifierKey(a.vkey)]);
    assert.deepEqual(
      onlyA.unverified.map((s) => s.name),
      ['witness.example'],
    );
    const cp = parseCheckpoint(opened.text);
    assert.equal(cp.size, 42);
    assert.deepEqual(cp.extensions, ['ext line']);
  });

  it('refuses a signature by the right name but another key, and malformed notes', async () => {
    const a = signer('log.example');
    const impostor = signer('log.example');
    const note = await signNote('hello\n', [impostor]);
    // Same name, different key hash: unknown signer.
    assert.throws(
      () => openNote(note, [parseVerifierKey(a.vkey)]),
      (e) => isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID'),
    );
    for (const bad of [
      '',
      'hello\n',
      'hello\n\n',
      'hello\n\nno dash\n',
      'hello\n\n— log.example\n',
      'hello\n\n— log.example !!\n',
      'a\u0001\n\n— x AAAAAAA=\n',
    ]) {
      assert.throws(
        () => openNote(bad, [parseVerifierKey(a.vkey)]),
        (e) => isVerityError(e, 'VERITY_E_LOG_NOTE_INVALID'),
        JSON.stringify(bad),
      );
    }
    await assert.rejects(signNote('no newline', [a]), (e) => isVerityError(e, 'VERITY_E_LOG_NOTE_INVALID'));
  });

  it('refuses malformed verifier keys and checkpoints', () => {
    for (const bad of [
      '',
      'a+b',
      'sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8',
      'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn9',
      'a b+00000000+AA==',
    ]) {
      assert.throws(
        () => parseVerifierKey(bad),
        (e) => isVerityError(e, 'VERITY_E_LOG_NOTE_INVALID'),
        bad,
      );
    }
    for (const bad of [
      'o\n1\n',
      'o\n01\nAAAA\n',
      '\n1\n' + 'A'.repeat(43) + '=\n',
      'o\n1\nAAAA\n',
      'o\n1\n' + 'A'.repeat(43) + '=\n\n',
      'o\n-1\n' + 'A'.repeat(43) + '=\n',
    ]) {
      assert.throws(
        () => parseCheckpoint(bad),
        (e) => isVerityError(e, 'VERITY_E_LOG_CHECKPOINT_INVALID'),
        JSON.stringify(bad),
      );
    }
  });

  it('never throws anything but typed errors on random input', () => {
    const v = parseVerifierKey(SUMDB_KEY);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        for (const f of [() => openNote(s, [v]), () => parseCheckpoint(s), () => parseVerifierKey(s)]) {
          try {
            f();
          } catch (e) {
            assert.ok(e instanceof VerityError, String(e));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
