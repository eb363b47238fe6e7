// Every error that input from outside can cause carries a code: one test per kind of boundary
// (log query parameters and tile paths, proofs and notes handed to verifiers, differential-privacy
// query parameters, record data, session tokens and ids, guardianship evidence), each through the
// library function the interface calls.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { count, histogram, mean, quantile, sum } from '../src/dp/index.ts';
import { canonicalJson, fromBase64Url } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { checkProofCase, LogBatch, parseProofCase, TransparencyLog } from '../src/log/index.ts';
import {
  consistencyProof,
  consistencyProofNodes,
  entryBundlePath,
  inclusionProof,
  inclusionProofNodes,
  parseTilePath,
  planInclusionProof,
  rootFromInclusionProof,
  tilePath,
  verifyConsistency,
  verifyInclusion,
} from '../src/merkle/index.ts';
import { formatVerifierKey, openNote, parseCheckpoint, parseVerifierKey, verifyCheckpoint } from '../src/note/index.ts';
import { Sessions } from '../src/principals/index.ts';
import { GUARDIANSHIP_EVIDENCE } from '../src/vault/index.ts';
import { makeCore, type TestCore } from './helpers/core.ts';

function code(c: string) {
  return (e: unknown) => {
    assert.ok(isVerityError(e), `expected a coded error, got ${(e as Error)?.constructor?.name}: ${String(e)}`);
    assert.equal(e.code, c);
    return true;
  };
}

/** Runs `f`; it may succeed, but if it throws, the error must carry a Verity code. */
async function codedIfThrows(f: () => unknown): Promise<void> {
  try {
    await f();
  } catch (e) {
    assert.ok(isVerityError(e), `a code-less ${(e as Error)?.constructor?.name} escaped: ${String(e)}`);
  }
}

/** Numbers (and non-numbers) a query string or a JSON body can carry after parsing. */
const anyParam = fc.oneof(
  fc.integer({ min: -3, max: 300 }),
  fc.constantFrom(-1, 0.5, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, Infinity, -Infinity, Number.NaN, -0),
  fc.double(),
  fc.constantFrom(undefined, null, '1', '', [], {}, true),
);

describe('log query parameters and tile paths (HTTP /v1/log/*, /tile/*)', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
  });
  after(() => core.dispose());

  it('an inclusion proof index past the tree size is VERITY_E_LOG_RANGE', async () => {
    const size = (await core.log.head()).size;
    await assert.rejects(core.log.inclusionProof(size), code('VERITY_E_LOG_RANGE'));
    await assert.rejects(core.log.inclusionProof(0, size + 1), code('VERITY_E_LOG_RANGE'));
    await assert.rejects(core.log.inclusionProof(-1), code('VERITY_E_LOG_RANGE'));
    await assert.rejects(core.log.inclusionProof(0.5), code('VERITY_E_LOG_RANGE'));
  });

  it('consistency sizes and entry ranges out of order or past the tree are VERITY_E_LOG_RANGE', async () => {
    const size = (await core.log.head()).size;
    await assert.rejects(core.log.consistencyProof(size + 1), code('VERITY_E_LOG_RANGE'));
    await assert.rejects(core.log.consistencyProof(size, size - 1), code('VERITY_E_LOG_RANGE'));
    await assert.rejects(core.log.entries(1, 0), code('VERITY_E_LOG_RANGE'));
    await assert.rejects(core.log.entries(0, size + 1), code('VERITY_E_LOG_RANGE'));
  });

  it('tile paths that are not canonical or lie beyond the tree are coded', async () => {
    await assert.rejects(core.log.readTile('tile/0/1'), code('VERITY_E_INPUT_MALFORMED'));
    await assert.rejects(core.log.readTile('tile/0/x000/001'), code('VERITY_E_INPUT_MALFORMED'));
    await assert.rejects(core.log.readTile('tile/0/000.p/256'), code('VERITY_E_INPUT_MALFORMED'));
    await assert.rejects(core.log.readTile('tile/0/x001/x000/000'), code('VERITY_E_LOG_RANGE'));
    await assert.rejects(core.log.readTile('tile/entries/005'), code('VERITY_E_LOG_RANGE'));
  });

  it('any parameter value reaching the log either answers or fails with a code', async () => {
    await fc.assert(
      fc.asyncProperty(anyParam, anyParam, async (a, b) => {
        await codedIfThrows(() => core.log.inclusionProof(a as number, b as number));
        await codedIfThrows(() => core.log.consistencyProof(a as number, b as number));
        await codedIfThrows(() => core.log.entries(a as number, b as number));
        await codedIfThrows(() => core.log.rootAt(a as number));
      }),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), async (rest) => {
        await codedIfThrows(() => core.log.readTile(`tile/${rest}`));
      }),
      { numRuns: 300 },
    );
  });

  it('the Merkle proof builders themselves refuse an index past the size with VERITY_E_LOG_RANGE', () => {
    const never = () => {
      throw new Error('no node should be read');
    };
    assert.throws(() => inclusionProof(5, 5, never), code('VERITY_E_LOG_RANGE'));
    assert.throws(() => planInclusionProof(-1, 5), code('VERITY_E_LOG_RANGE'));
    assert.throws(() => inclusionProofNodes(0, Number.NaN), code('VERITY_E_LOG_RANGE'));
    assert.throws(() => consistencyProof(6, 5, never), code('VERITY_E_LOG_RANGE'));
    assert.throws(() => consistencyProofNodes(1.5, 5), code('VERITY_E_LOG_RANGE'));
    assert.throws(() => tilePath(64, 0), code('VERITY_E_LOG_RANGE'));
    assert.throws(() => tilePath(0, -1), code('VERITY_E_LOG_RANGE'));
    assert.throws(() => entryBundlePath(0, 257), code('VERITY_E_LOG_RANGE'));
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (p) => {
        try {
          parseTilePath(p);
        } catch (e) {
          assert.ok(isVerityError(e, 'VERITY_E_INPUT_MALFORMED'), String(e));
        }
      }),
    );
  });
});

describe('proofs and notes handed to verifiers', () => {
  const h = new Uint8Array(32);

  it('a proof that is not a list of hashes is VERITY_E_LOG_PROOF_INVALID', () => {
    for (const proof of [undefined, null, 'AAAA', {}, 7]) {
      const p = proof as unknown as Uint8Array[];
      assert.throws(() => verifyInclusion(h, 0, 1, p, h), code('VERITY_E_LOG_PROOF_INVALID'));
      assert.throws(() => rootFromInclusionProof(h, 0, 1, p), code('VERITY_E_LOG_PROOF_INVALID'));
      assert.throws(() => verifyConsistency(1, 2, p, h, h), code('VERITY_E_LOG_PROOF_INVALID'));
    }
  });

  it('any proof case, verifier key, note or checkpoint text fails with a code', () => {
    const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    const key = parseVerifierKey(formatVerifierKey('verity.test/log', fromBase64Url(jwk.x as string)));
    const value = fc.oneof(anyParam, fc.string(), fc.array(fc.oneof(fc.string(), anyParam), { maxLength: 4 }));
    fc.assert(
      fc.property(value, value, value, fc.string(), (a, b, c, text) => {
        for (const type of ['inclusion', 'consistency', a]) {
          const input = { type, treeSize: a, leafIndex: b, leafHash: c, rootHash: c, proof: b, size1: a, size2: b };
          try {
            checkProofCase(parseProofCase(input));
          } catch (e) {
            assert.ok(isVerityError(e), String(e));
          }
        }
        for (const f of [
          () => parseVerifierKey(text),
          () => parseCheckpoint(text),
          () => openNote(text, [key]),
          () => verifyCheckpoint(`${text}\n\n— verity.test/log AAAAAAAA\n`, key),
        ]) {
          try {
            f();
          } catch (e) {
            assert.ok(isVerityError(e), String(e));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('differential-privacy query parameters (HTTP /v1/deid/datasets/*/query)', () => {
  const values = [1, 2, 3, 4, 5, 1e6, -1e6];

  it('bad parameters are VERITY_E_INPUT_INVALID before any noise is drawn', () => {
    assert.throws(() => count(values, { epsilon: 0 }), code('VERITY_E_INPUT_INVALID'));
    assert.throws(() => sum(values, { epsilon: 1, lower: 2, upper: 1 }), code('VERITY_E_INPUT_INVALID'));
    assert.throws(
      () => mean(values, { epsilon: 1, mechanism: 'gaussian', lower: 0, upper: 1 }),
      code('VERITY_E_INPUT_INVALID'),
    );
    assert.throws(() => histogram(values, { epsilon: 1, edges: [1, 1] }), code('VERITY_E_INPUT_INVALID'));
    assert.throws(() => quantile(values, { epsilon: 1, lower: 0, upper: 1, q: 2 }), code('VERITY_E_INPUT_INVALID'));
  });

  it('any parameters either answer or fail with a code', () => {
    const small = fc.oneof(
      anyParam,
      fc.constantFrom(1e-9, 1e-10, 1e6, 1e7, 1e-300, 5e-324, 0.999999999, 1 - 1e-16, 1e18, 1e19),
      fc.constantFrom('laplace', 'gaussian', 'exponential'),
    );
    fc.assert(
      fc.property(small, small, small, small, small, small, (epsilon, delta, mechanism, lower, upper, q) => {
        const o = { epsilon, delta, mechanism, lower, upper, q, edges: [lower, upper] } as never;
        for (const query of [count, sum, mean, histogram, quantile]) {
          try {
            query(values, o);
          } catch (e) {
            assert.ok(isVerityError(e), `${query.name}: ${String(e)}`);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('record data and log entries', () => {
  it('a value JSON cannot hold is VERITY_E_INPUT_INVALID', () => {
    for (const v of [Number.NaN, Infinity, undefined, () => 1, 10n, { a: Number.NaN }])
      assert.throws(() => canonicalJson(v), code('VERITY_E_INPUT_INVALID'));
  });

  it('an empty log entry is VERITY_E_INPUT_EMPTY, not "too large"', () => {
    const batch = new LogBatch(0);
    assert.throws(() => batch.add(new Uint8Array(0)), code('VERITY_E_INPUT_EMPTY'));
    assert.throws(() => batch.add(new Uint8Array(0x10000)), code('VERITY_E_INPUT_TOO_LARGE'));
    assert.equal(batch.add(new Uint8Array(1)), 0);
  });

  it('a log origin that cannot be a checkpoint origin is a configuration error', async () => {
    const core = await makeCore('sqlite');
    try {
      await assert.rejects(
        TransparencyLog.open(core.store, core.keys, { origin: 'two\nlines', signingKey: 'log-checkpoint' }),
        code('VERITY_E_CONFIG_INVALID'),
      );
    } finally {
      await core.dispose();
    }
  });
});

describe('session tokens, session ids and guardianship evidence', () => {
  let core: TestCore;
  let sessions: Sessions;
  before(async () => {
    core = await makeCore('sqlite');
    sessions = new Sessions(core);
  });
  after(() => core.dispose());

  it('any bearer text, JWT-shaped or not, is VERITY_E_UNAUTHENTICATED as a session', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const part = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.base64String({ maxLength: 60 }),
      fc.jsonValue().map(b64),
      fc.constant(b64({ alg: 'EdDSA', typ: 'JWT' })),
      fc.constant(b64({ alg: 'none' })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.tuple(part, part, part).map((p) => p.join('.')),
        ),
        async (token) => {
          await assert.rejects(sessions.authenticate(token), code('VERITY_E_UNAUTHENTICATED'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any session id either passes the check or is VERITY_E_INPUT_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 40 }), anyParam), async (id) => {
        await codedIfThrows(() => sessions.get(id as string));
      }),
      { numRuns: 300 },
    );
  });

  it('guardianship evidence is checked before anything is written: anything else is VERITY_E_INPUT_INVALID', async () => {
    const access = { actor: 'service:test', purpose: 'guardianship' };
    const facts = { minor: true, guardians: ['g-1'] };
    const size = (await core.log.head()).size;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({ kind: fc.string({ maxLength: 30 }), reference: fc.string({ maxLength: 300 }) }),
          fc.record({
            kind: fc.constant('court-order'),
            reference: fc.oneof(fc.constant(''), fc.string({ minLength: 257, maxLength: 300 })),
          }),
        ),
        async (evidence) => {
          await assert.rejects(
            core.vault.setGuardianship('s-1', facts, evidence as never, access),
            code('VERITY_E_INPUT_INVALID'),
          );
        },
      ),
      { numRuns: 300 },
    );
    assert.equal((await core.log.head()).size, size, 'nothing was written');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...GUARDIANSHIP_EVIDENCE),
        fc.string({ minLength: 1, maxLength: 256 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
        async (kind, reference) => {
          const { logIndex } = await core.vault.setGuardianship('s-1', facts, { kind, reference }, access);
          const text = new TextDecoder().decode((await core.log.entries(logIndex, logIndex + 1))[0]);
          assert.ok(reference.length < 12 || !text.includes(reference), 'the reference itself is never logged');
        },
      ),
      { numRuns: 30 },
    );
  });
});
