// The witness core against C2SP tlog-witness: each refusal with its status code, cosignatures that
// verify, durable compare-and-swap state (across connections and reopening), the key file's mode,
// the request parser on the specification's example and on malformed input (property tests).
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { tempDir } from '../../test/helpers/env.ts';
import { MemoryLog } from '../../test/helpers/memlog.ts';
import { ERROR_CODES, httpStatusOf } from '../codes/index.ts';
import { fromBase64, toBase64, utf8 } from '../encoding/index.ts';
import { isVerityError, VerityError } from '../errors/index.ts';
import {
  formatCheckpoint,
  parseCosignerKey,
  parseSignatureLine,
  parseVerifierKey,
  signNote,
  verifyCosignedCheckpoint,
} from '../note/index.ts';
import {
  formatAddCheckpoint,
  initWitnessDir,
  MAX_PROOF_LINES,
  openWitnessDir,
  parseAddCheckpoint,
  type Witness,
  WitnessState,
} from './index.ts';

const VECTORS = join(import.meta.dirname, '..', '..', 'test', 'vectors', 'c2sp-witness');

/** The request body of `note` from `old` with the log's proof. */
async function request(
  log: MemoryLog,
  old: number,
  size = log.size,
  proof = log.proof(old, size),
): Promise<Uint8Array> {
  return utf8(formatAddCheckpoint({ oldSize: old, proof, note: await log.note(size) }));
}

/** Rejects with `code` (and its HTTP status as the protocol wants it). */
async function refused(p: Promise<unknown>, code: string, status: number): Promise<VerityError> {
  let err: unknown;
  await assert.rejects(p, (e) => {
    err = e;
    return isVerityError(e) && e.code === code;
  });
  assert.equal(httpStatusOf((err as VerityError).code), status);
  return err as VerityError;
}

describe('witness core (C2SP tlog-witness)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let w: Witness;
  const log = new MemoryLog('log.example/a');
  before(async () => {
    ({ dir, cleanup } = await tempDir('verity-witness-'));
    initWitnessDir(join(dir, 'w'), 'witness.example/w1');
    w = openWitnessDir(join(dir, 'w'));
    assert.equal(w.addLog(log.vkey), 'added');
    assert.equal(w.addLog(log.vkey), 'known');
  });
  after(async () => {
    w.close();
    await cleanup();
  });

  const verify = (note: string, line: string) =>
    verifyCosignedCheckpoint(note + line, {
      log: parseVerifierKey(log.vkey),
      cosigners: [parseCosignerKey(w.verifierKey)],
      quorum: 1,
    });

  it('cosigns a first checkpoint, then only consistent extensions from the size it cosigned', async () => {
    log.append(5);
    const line = await w.addCheckpoint(await request(log, 0));
    verify(await log.note(), line);
    // The client that does not know the witness's size learns it from the 409.
    log.append(3);
    const e = await refused(w.addCheckpoint(await request(log, 0)), 'VERITY_E_WITNESS_CONFLICT', 409);
    assert.equal(e.details?.['size'], 5);
    const line8 = await w.addCheckpoint(await request(log, 5));
    assert.equal(verify(await log.note(), line8).checkpoint.size, 8);
    // The same checkpoint again is cosigned again.
    await w.addCheckpoint(await request(log, 8));
    assert.equal(w.logs()[0]?.size, 8);
  });

  it('refuses a forked log: a proof that does not verify (422), another root at its size (409)', async () => {
    const fork = log.fork(6).append(6);
    await refused(w.addCheckpoint(await request(fork, 8, 12)), 'VERITY_E_WITNESS_PROOF_INVALID', 422);
    const e = await refused(w.addCheckpoint(await request(fork, 8, 8)), 'VERITY_E_WITNESS_CONFLICT', 409);
    assert.equal(e.details?.['size'], 8);
    // A proof from the right size but for other sizes, or altered, does not verify either.
    log.append(4);
    const proof = log.proof(8, 12);
    const altered = [...proof];
    altered[0] = toBase64(new Uint8Array(32).fill(1));
    await refused(w.addCheckpoint(await request(log, 8, 12, altered)), 'VERITY_E_WITNESS_PROOF_INVALID', 422);
    await refused(w.addCheckpoint(await request(log, 8, 12, log.proof(7, 12))), 'VERITY_E_WITNESS_PROOF_INVALID', 422);
    await refused(w.addCheckpoint(await request(log, 8, 12, [])), 'VERITY_E_WITNESS_PROOF_INVALID', 422);
    assert.equal(w.logs()[0]?.size, 8, 'nothing refused changed the state');
    await w.addCheckpoint(await request(log, 8, 12, proof));
  });

  it('refuses unknown logs (404), foreign signatures (403) and bad requests (400)', async () => {
    const other = new MemoryLog('log.example/other').append(2);
    await refused(w.addCheckpoint(await request(other, 0)), 'VERITY_E_WITNESS_LOG_UNKNOWN', 404);
    // The right origin signed by another key.
    const impostor = new MemoryLog('log.example/a').append(20);
    await refused(w.addCheckpoint(await request(impostor, 12, 20)), 'VERITY_E_WITNESS_SIGNATURE_INVALID', 403);
    // The log's checkpoint with its body altered.
    const altered = (await log.note()).replace(`\n${log.size}\n`, `\n${log.size + 1}\n`);
    await refused(
      w.addCheckpoint(utf8(formatAddCheckpoint({ oldSize: 12, proof: [], note: altered }))),
      'VERITY_E_WITNESS_SIGNATURE_INVALID',
      403,
    );
    // old larger than the checkpoint; a proof with old 0; too many proof lines.
    await refused(w.addCheckpoint(await request(log, 13, 12, [])), 'VERITY_E_WITNESS_REQUEST_INVALID', 400);
    const note = await log.note();
    const hash = toBase64(new Uint8Array(32));
    const bad = [
      '',
      'old 12\n',
      `old 012\n\n${note}`,
      `old -1\n\n${note}`,
      `old 12\n${hash}\n`,
      `old 12\n\n`,
      `old 12\nAAAA\n\n${note}`,
      `old 12\n${hash}\n${hash}`,
      `old 12\n${`${hash}\n`.repeat(MAX_PROOF_LINES + 1)}\n${note}`,
      `old 0\n${hash}\n\n${note}`,
      `old 12\n\n${note.replace('\n\n', '\n')}`,
      // Signed by the log, but not a checkpoint.
      `old 12\n\n${await signNote('log.example/a\n12\nnot-a-root\n', [log.signer])}`,
    ];
    for (const b of bad) await refused(w.addCheckpoint(utf8(b)), 'VERITY_E_WITNESS_REQUEST_INVALID', 400);
    await refused(
      w.addCheckpoint(new Uint8Array([0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a])),
      'VERITY_E_WITNESS_REQUEST_INVALID',
      400,
    );
    await refused(w.addCheckpoint(new Uint8Array(70_000)), 'VERITY_E_WITNESS_REQUEST_INVALID', 400);
  });

  it('cosigns the whole body, extension lines included, and checks the empty tree root', async () => {
    const ext = new MemoryLog('log.example/ext');
    w.addLog(ext.vkey);
    const empty = await w.addCheckpoint(utf8(formatAddCheckpoint({ oldSize: 0, proof: [], note: await ext.note(0) })));
    assert.ok(empty.startsWith('— witness.example/w1 '));
    ext.append(3);
    const note = await ext.note(3, ['extension line one', 'two']);
    const line = await w.addCheckpoint(utf8(formatAddCheckpoint({ oldSize: 0, proof: [], note })));
    const r = verifyCosignedCheckpoint(note + line, {
      log: parseVerifierKey(ext.vkey),
      cosigners: [parseCosignerKey(w.verifierKey)],
      quorum: 1,
    });
    assert.deepEqual(r.checkpoint.extensions, ['extension line one', 'two']);
    // A size-0 checkpoint must carry the empty root.
    const z = new MemoryLog('log.example/zero');
    w.addLog(z.vkey);
    const zero = await signNote(formatCheckpoint({ origin: z.origin, size: 0, rootHash: new Uint8Array(32) }), [
      z.signer,
    ]);
    await refused(
      w.addCheckpoint(utf8(formatAddCheckpoint({ oldSize: 0, proof: [], note: zero }))),
      'VERITY_E_WITNESS_PROOF_INVALID',
      422,
    );
  });

  it('advances once when concurrent requests race from the same size, and batches other logs', async () => {
    const race = new MemoryLog('log.example/race').append(4);
    w.addLog(race.vkey);
    await w.addCheckpoint(await request(race, 0));
    const sizes = Array.from({ length: 12 }, (_, i) => 5 + i);
    race.append(20);
    const outcomes = await Promise.allSettled(sizes.map(async (n) => w.addCheckpoint(await request(race, 4, n))));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    assert.equal(won.length, 1, 'exactly one request advanced from size 4');
    for (const o of outcomes)
      if (o.status === 'rejected') assert.ok(isVerityError(o.reason, 'VERITY_E_WITNESS_CONFLICT'), String(o.reason));
    // Many logs at once share a transaction; each is cosigned.
    const logs = Array.from({ length: 8 }, (_, i) => new MemoryLog(`log.example/many-${i}`).append(i + 1));
    for (const l of logs) w.addLog(l.vkey);
    const lines = await Promise.all(logs.map(async (l) => w.addCheckpoint(await request(l, 0))));
    assert.equal(lines.length, 8);
  });

  it('keeps its state across a reopen and across connections (compare-and-swap)', async () => {
    const l = new MemoryLog('log.example/cas').append(3);
    w.addLog(l.vkey);
    await w.addCheckpoint(await request(l, 0));
    // A second witness process on the same directory: it reads the state inside its transaction.
    const w2 = openWitnessDir(join(dir, 'w'));
    try {
      l.append(2);
      await w2.addCheckpoint(await request(l, 3));
      const e = await refused(w.addCheckpoint(await request(l, 3)), 'VERITY_E_WITNESS_CONFLICT', 409);
      assert.equal(e.details?.['size'], 5);
    } finally {
      w2.close();
    }
    // The compare-and-swap refuses a stale `from` even inside a transaction.
    const state = WitnessState.open(join(dir, 'w', 'witness.db'));
    try {
      const cur = state.log('log.example/cas');
      assert.equal(cur?.size, 5);
      const to = { size: 9, root: new Uint8Array(32), checkpoint: 'x', at: 1 };
      assert.equal(
        state.transaction((tx) => tx.advance('log.example/cas', { size: 3, root: l.root(3) }, to)),
        false,
      );
      assert.equal(state.log('log.example/cas')?.size, 5);
    } finally {
      state.close();
    }
  });
});

describe('witness directory', () => {
  it('makes the key file 0600, refuses it readable by others, a missing state, and a second init', async () => {
    const { dir, cleanup } = await tempDir('verity-witness-');
    try {
      const d = join(dir, 'w');
      const vkey = initWitnessDir(d, 'witness.example/w2');
      assert.equal(parseCosignerKey(vkey).name, 'witness.example/w2');
      assert.equal(statSync(join(d, 'witness.key')).mode & 0o777, 0o600);
      assert.equal(fromBase64(readFileSync(join(d, 'witness.key'), 'utf8').trim(), 'key').byteLength, 32);
      assert.throws(
        () => initWitnessDir(d, 'again'),
        (e) => isVerityError(e, 'VERITY_E_WITNESS_DIR'),
      );
      assert.throws(
        () => initWitnessDir(join(dir, 'x'), 'a name'),
        (e) => isVerityError(e, 'VERITY_E_WITNESS_KEY_INVALID'),
      );
      chmodSync(join(d, 'witness.key'), 0o644);
      assert.throws(
        () => openWitnessDir(d),
        (e) => isVerityError(e, 'VERITY_E_WITNESS_DIR') && /chmod 600/.test(e.message),
      );
      chmodSync(join(d, 'witness.key'), 0o600);
      openWitnessDir(d).close();
      rmSync(join(d, 'witness.db'));
      assert.throws(
        () => openWitnessDir(d),
        (e) => isVerityError(e, 'VERITY_E_WITNESS_DIR'),
      );
      assert.throws(
        () => openWitnessDir(join(dir, 'none')),
        (e) => isVerityError(e, 'VERITY_E_WITNESS_DIR'),
      );
    } finally {
      await cleanup();
    }
  });
});

describe('add-checkpoint request format', () => {
  it('parses the example of the specification', () => {
    const r = parseAddCheckpoint(readFileSync(join(VECTORS, 'spec-add-checkpoint-request.txt')));
    assert.equal(r.oldSize, 20852014);
    assert.deepEqual(r.proof.map(toBase64), [
      'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=',
      'jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=',
      '5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=',
      '/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=',
    ]);
    assert.ok(r.note.startsWith('example.com/behind-the-sofa\n20852163\n'));
    assert.equal(formatAddCheckpoint(r), readFileSync(join(VECTORS, 'spec-add-checkpoint-request.txt'), 'utf8'));
    // The example answer: three cosignature lines of 4 + 8 + 64 bytes.
    const lines = readFileSync(join(VECTORS, 'spec-add-checkpoint-response.txt'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => [parseSignatureLine(l).name, parseSignatureLine(l).blob.byteLength]),
      [
        ['witness.example/w1', 76],
        ['witness.example/w1', 76],
        ['witness.example/w2', 76],
      ],
    );
  });

  it('round-trips any request and refuses malformed bodies with a typed error only (property)', () => {
    const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.array(hash, { maxLength: MAX_PROOF_LINES }),
        fc.stringMatching(/^[a-z]{1,10}\n[0-9]{1,5}\n[A-Za-z0-9+/]{43}=\n\n— [a-z]{1,5} [A-Za-z0-9+/]{8}\n$/),
        (oldSize, proof, note) => {
          // C2SP tlog-witness: a request from size 0 carries no consistency proof.
          if (oldSize === 0) proof = [];
          const r = parseAddCheckpoint(utf8(formatAddCheckpoint({ oldSize, proof, note })));
          assert.equal(r.oldSize, oldSize);
          assert.deepEqual(r.proof.map(toBase64), proof.map(toBase64));
          assert.equal(r.note, note);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.string({ maxLength: 300 }).map(utf8),
          fc
            .array(fc.constantFrom('old 1', 'old 0', 'old 01', '', 'AAAA', toBase64(new Uint8Array(32)), 'o\n1'), {
              maxLength: 8,
            })
            .map((ls) => utf8(ls.join('\n'))),
        ),
        (body) => {
          try {
            parseAddCheckpoint(body);
          } catch (e) {
            assert.ok(isVerityError(e, 'VERITY_E_WITNESS_REQUEST_INVALID'), String(e));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a witness fed altered requests refuses them with typed errors and changes nothing (property)', async () => {
    const { dir, cleanup } = await tempDir('verity-witness-');
    initWitnessDir(join(dir, 'w'), 'witness.example/w3');
    const w = openWitnessDir(join(dir, 'w'));
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.string({ maxLength: 3 }), async (pos, s) => {
          const log = new MemoryLog(`log.example/p${n++}`).append(10);
          w.addLog(log.vkey);
          const good = formatAddCheckpoint({ oldSize: 0, proof: [], note: await log.note() });
          const at = pos % good.length;
          const body = good.slice(0, at) + s + good.slice(at + 1);
          if (body === good) return;
          const state = () => w.logs().find((l) => l.origin === log.origin)?.size;
          try {
            const line = await w.addCheckpoint(utf8(body));
            // Accepted only if it still is the same checkpoint, signed by the log.
            const note = parseAddCheckpoint(utf8(body)).note;
            assert.equal(verify(note, line, log.vkey).checkpoint.size, 10);
            assert.equal(state(), 10);
          } catch (e) {
            assert.ok(e instanceof VerityError && ERROR_CODES[e.code].area === 'witness', String(e));
            assert.equal(state(), 0);
          }
        }),
        { numRuns: 150 },
      );
    } finally {
      w.close();
      await cleanup();
    }

    function verify(note: string, line: string, vkey: string) {
      return verifyCosignedCheckpoint(note + line, {
        log: parseVerifierKey(vkey),
        cosigners: [parseCosignerKey(w.verifierKey)],
        quorum: 1,
      });
    }
  });
});
