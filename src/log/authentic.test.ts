// The log's memo of authentic checkpoints and its reads of entries without a head read (D280, D281):
// what is remembered never lets a changed or foreign checkpoint through, and a range is still
// refused past the log's end.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { formatCheckpoint, parseCheckpoint, signNote } from '../note/index.ts';

describe('authentic checkpoints and entry reads of the log', () => {
  let core: TestCore;
  before(async () => {
    core = await makeCore('sqlite');
    await core.log.append([utf8('one'), utf8('two')]);
  });
  after(() => core.dispose());

  const body = (note: string) => note.slice(0, note.indexOf('\n\n') + 1);

  it('reads a checkpoint it signed, and again, as the note says', async () => {
    const head = await core.log.head();
    const c = core.log.verifiedCheckpoint(head.checkpoint);
    assert.equal(c.size, head.size);
    assert.deepEqual(c.rootHash, head.rootHash);
    assert.deepEqual(core.log.verifiedCheckpoint(head.checkpoint), parseCheckpoint(body(head.checkpoint)));
  });

  it('refuses a remembered checkpoint changed by one byte, signed by another key, or of another origin', async () => {
    const head = await core.log.head();
    core.log.verifiedCheckpoint(head.checkpoint);
    const forged = head.checkpoint.replace(/\n(\d+)\n/, (_m, n: string) => `\n${Number(n) + 1}\n`);
    assert.notEqual(forged, head.checkpoint);
    assert.throws(
      () => core.log.verifiedCheckpoint(forged),
      (e) => isVerityError(e, 'VERITY_E_LOG_SIGNATURE_INVALID'),
    );
    // The same body under a key of the same name that is not the log's.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const other = await signNote(body(head.checkpoint), [
      {
        name: 'verity.test/log',
        publicKey: new Uint8Array(raw),
        sign: async (m) => new Uint8Array(sign(null, m, privateKey)),
      },
    ]);
    assert.throws(() => core.log.verifiedCheckpoint(other));
    // Signed with the log's own key, but for another origin.
    const foreign = await signNote(
      formatCheckpoint({ origin: 'verity.test/other', size: head.size, rootHash: head.rootHash }),
      [
        {
          name: 'verity.test/log',
          publicKey: core.log.verifier.publicKey,
          sign: (m) => core.keys.sign('log-checkpoint', m),
        },
      ],
    );
    assert.throws(() => core.log.verifiedCheckpoint(foreign));
  });

  it('reads entries inside the log and refuses a range past its end or malformed', async () => {
    const head = await core.log.head();
    const [last] = await core.log.entries(head.size - 1, head.size);
    assert.ok(last !== undefined && last.byteLength > 0);
    for (const [a, b] of [
      [head.size, head.size + 1],
      [0, head.size + 1],
      [-1, 1],
      [2, 1],
      [0.5, 1],
    ] as const)
      await assert.rejects(core.log.entries(a, b), (e) => isVerityError(e, 'VERITY_E_LOG_RANGE'));
  });

  it('refuses entries deleted behind its back, inside a head it saw', async () => {
    const head = await core.log.head();
    await core.sql('DELETE FROM log_entries WHERE idx = ?', [head.size - 1]);
    await assert.rejects(core.log.entries(head.size - 2, head.size), (e) => isVerityError(e, 'VERITY_E_LOG_RANGE'));
  });
});
