// C2SP tlog-cosignature (Ed25519 cosignature/v1): a real cosigned checkpoint of a public CT log with
// four public witnesses, the spec's and Go's examples (test/vectors/c2sp-witness/), round trips,
// and property tests of the parsers on malformed input.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromBase64, fromUtf8, toHex } from '../encoding/index.ts';
import { isVerityError, VerityError } from '../errors/index.ts';
import {
  addCosignatures,
  cosign,
  cosignatureMessage,
  cosignatureTimestamp,
  formatCheckpoint,
  formatCosignerKey,
  formatVerifierKey,
  type NoteSigner,
  openNote,
  parseCosignerKey,
  parseVerifierKey,
  signNote,
  verifyCosignedCheckpoint,
} from './index.ts';

const DIR = join(import.meta.dirname, '..', '..', 'test', 'vectors', 'c2sp-witness');
const read = (f: string) => readFileSync(join(DIR, f), 'utf8');
const REAL = read('arche2025h1-1432088532.txt');
const REAL_LOG = parseVerifierKey(read('log.vkey').trim());
const REAL_WITNESSES = read('witnesses.vkey').trim().split('\n').map(parseCosignerKey);

function keyPair(name: string): NoteSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    name,
    publicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12)),
    sign: async (m) => new Uint8Array(sign(null, m, privateKey)),
  };
}

const rejectsTyped = (f: () => unknown, code?: string) =>
  assert.throws(f, (e) => e instanceof VerityError && (code === undefined || e.code === code));

describe('cosignature/v1: a real cosigned checkpoint', () => {
  it('verifies the log signature and all four witnesses, with their timestamps', () => {
    const r = verifyCosignedCheckpoint(REAL, { log: REAL_LOG, cosigners: REAL_WITNESSES, quorum: 4 });
    assert.equal(r.checkpoint.size, 1432088532);
    assert.deepEqual(
      r.cosignatures.map((c) => [c.name, c.keyHash, c.timestamp]),
      [
        ['transparency.dev/DEV:witness-little-garden', 'd8042a87', 1779573024],
        ['witness1.smartit.nu/witness1', 'a48c820f', 1779573024],
        ['remora.n621.de', 'da77ade7', 1779573024],
        ['witness.stagemole.eu', '67f7aea0', 1779573024],
      ],
    );
  });

  it('counts only the witness keys given, and refuses a quorum they cannot reach', () => {
    const two = REAL_WITNESSES.slice(0, 2);
    assert.equal(verifyCosignedCheckpoint(REAL, { log: REAL_LOG, cosigners: two, quorum: 2 }).cosignatures.length, 2);
    assert.throws(() => verifyCosignedCheckpoint(REAL, { log: REAL_LOG, cosigners: two, quorum: 3 }), RangeError);
    // A key of the same name but another public key: its cosignature is not counted.
    const impostor = parseCosignerKey(formatCosignerKey('remora.n621.de', keyPair('x').publicKey));
    rejectsTyped(
      () => verifyCosignedCheckpoint(REAL, { log: REAL_LOG, cosigners: [impostor], quorum: 1 }),
      'VERITY_E_WITNESS_QUORUM',
    );
  });

  it('a log key is not a witness key: the log signature never counts as a cosignature', () => {
    const asCosigner = formatCosignerKey(REAL_LOG.name, REAL_LOG.publicKey);
    rejectsTyped(
      () => verifyCosignedCheckpoint(REAL, { log: REAL_LOG, cosigners: [parseCosignerKey(asCosigner)], quorum: 1 }),
      'VERITY_E_WITNESS_QUORUM',
    );
  });

  it('refuses every single-byte change of the note with four cosignatures required', () => {
    const bytes = Buffer.from(REAL, 'utf8');
    // The log's RFC 6962 signature (type 0x05) is by a key not given: it is ignored, so changes to
    // its line are too.
    const ignored = REAL.split('\n')[4] as string;
    const from = bytes.indexOf(ignored);
    const to = from + Buffer.byteLength(ignored);
    assert.ok(from > 0 && ignored.startsWith('— arche2025h1.staging.ct.transparency.dev zTM8'));
    for (let i = 0; i < bytes.length; i++) {
      if (i >= from && i < to) continue;
      const b = Buffer.from(bytes);
      b[i] = (b[i] as number) ^ 1;
      let accepted = false;
      try {
        verifyCosignedCheckpoint(b.toString('utf8'), { log: REAL_LOG, cosigners: REAL_WITNESSES, quorum: 4 });
        accepted = true;
      } catch (e) {
        assert.ok(e instanceof VerityError, `byte ${i}: ${String(e)}`);
      }
      assert.equal(accepted, false, `changing byte ${i} was accepted`);
    }
  });
});

describe('cosignature/v1: the specifications examples', () => {
  it('reads the timestamps of the C2SP example and of the Go implementation test', () => {
    const spec = read('spec-cosigned-checkpoint.txt').trimEnd().split('\n').at(-1) as string;
    const blob = fromBase64(spec.split(' ')[2] as string, 'spec');
    assert.equal(toHex(blob.subarray(0, 4)), '8d66cf3f');
    assert.equal(cosignatureTimestamp(blob.subarray(4)), 1679315147);
    const go = fromBase64(
      'ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==',
      'go',
    );
    assert.equal(cosignatureTimestamp(go.subarray(4)), 1727964367);
    // A plain Ed25519 note signature (4 + 64 bytes) has no timestamp.
    const plain = fromBase64(
      'eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=',
      'go',
    );
    assert.equal(cosignatureTimestamp(plain.subarray(4)), undefined);
  });

  it('signs exactly the message of the specification', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    assert.equal(
      fromUtf8(cosignatureMessage(body, 1679315147), 'message'),
      'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
    );
  });

  it('parses the witness key of the Go implementation tests and refuses a log key as one', () => {
    const vkey = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
    const k = parseCosignerKey(vkey);
    assert.equal(formatCosignerKey(k.name, k.publicKey), vkey);
    rejectsTyped(() => parseCosignerKey(read('log.vkey').trim()), 'VERITY_E_WITNESS_KEY_INVALID');
    rejectsTyped(
      () => parseVerifierKey('remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2'),
      'VERITY_E_LOG_NOTE_INVALID',
    );
    for (const bad of [
      '',
      'bananas.sigstore.dev+12344556',
      'rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!',
      'rekor.sigstore.dev+12345678+AwEB',
      'remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2',
      'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw3',
    ])
      rejectsTyped(() => parseCosignerKey(bad), 'VERITY_E_WITNESS_KEY_INVALID');
  });
});

describe('cosignature/v1: signing and merging', () => {
  it('round-trips over a checkpoint with extension lines, and the extension lines are signed', async () => {
    const log = keyPair('log.example/a');
    const w = keyPair('witness.example/w1');
    const body = formatCheckpoint({
      origin: 'log.example/a',
      size: 7,
      rootHash: new Uint8Array(32).fill(3),
      extensions: ['ext one', 'ext two'],
    });
    const note = await signNote(body, [log]);
    const line = await cosign(body, 1700000000, w);
    const cosigned = addCosignatures(note, [line.trimEnd()]);
    const o = {
      log: parseVerifierKey(formatVerifierKey(log.name, log.publicKey)),
      cosigners: [parseCosignerKey(formatCosignerKey(w.name, w.publicKey))],
      quorum: 1,
    };
    const r = verifyCosignedCheckpoint(cosigned, o);
    assert.deepEqual(r.checkpoint.extensions, ['ext one', 'ext two']);
    assert.equal(r.cosignatures[0]?.timestamp, 1700000000);
    // The same cosignature moved onto the body without its last extension line does not verify.
    const shorter = await signNote(body.replace('ext two\n', ''), [log]);
    rejectsTyped(() => verifyCosignedCheckpoint(addCosignatures(shorter, [line.trimEnd()]), o));
    // Adding the same cosignature twice keeps one line.
    assert.equal(addCosignatures(cosigned, [line.trimEnd()]), cosigned);
  });

  it('keeps plain note signatures and cosignatures apart for the same name and key', async () => {
    const w = keyPair('witness.example/w1');
    const body = 'log.example/a\n1\n' + Buffer.alloc(32, 1).toString('base64') + '\n';
    // A plain Ed25519 note signature by the witness key is not a cosignature (other key hash).
    const plain = await signNote(body, [w]);
    assert.throws(
      () => openNote(plain, [parseCosignerKey(formatCosignerKey(w.name, w.publicKey))]),
      (e) => isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID'),
    );
  });

  it('a cosignature verifies only with its own timestamp and body (property)', async () => {
    const w = keyPair('witness.example/w1');
    const v = parseCosignerKey(formatCosignerKey(w.name, w.publicKey));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.array(fc.stringMatching(/^[a-z0-9 ]{1,20}$/), { maxLength: 3 }),
        fc.integer({ min: 0, max: 75 }),
        fc.integer({ min: 1, max: 255 }),
        async (t, ext, at, delta) => {
          const body = formatCheckpoint({ origin: 'o', size: 3, rootHash: new Uint8Array(32), extensions: ext });
          const blob = fromBase64((await cosign(body, t, w)).trimEnd().split(' ')[2] as string, 'blob');
          assert.equal(cosignatureTimestamp(blob.subarray(4)), t);
          const msg = new TextEncoder().encode(body);
          assert.equal(v.verify(msg, blob.subarray(4)), true);
          const bad = new Uint8Array(blob);
          bad[at] = (bad[at] as number) ^ delta;
          // Bytes 0-3 are the key hash, which `verify` does not see.
          if (at >= 4) assert.equal(v.verify(msg, bad.subarray(4)), false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never throws anything but typed errors on random notes and keys (property)', () => {
    const cosigners = REAL_WITNESSES;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          // Real lines shuffled, cut and joined: near-valid notes.
          fc
            .array(fc.constantFrom(...REAL.split('\n'), '', '— x AAAA', 'old 1'), { maxLength: 12 })
            .map((ls) => ls.join('\n')),
        ),
        (s) => {
          for (const f of [
            () => verifyCosignedCheckpoint(s, { log: REAL_LOG, cosigners, quorum: 1 }),
            () => parseCosignerKey(s),
            () => addCosignatures(s, [s]),
          ]) {
            try {
              f();
            } catch (e) {
              assert.ok(e instanceof VerityError, String(e));
            }
          }
          assert.ok(['undefined', 'number'].includes(typeof cosignatureTimestamp(new TextEncoder().encode(s))));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a timestamp beyond 2^53 - 1 and a blob of the wrong length', () => {
    const blob = new Uint8Array(72);
    new DataView(blob.buffer).setBigUint64(0, 2n ** 63n);
    assert.equal(cosignatureTimestamp(blob), undefined);
    assert.equal(cosignatureTimestamp(new Uint8Array(71)), undefined);
    assert.throws(() => cosignatureMessage('x\n', -1), RangeError);
  });
});
