import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { BACKENDS, makeCore, type TestCore } from '../../test/helpers/core.ts';
import { TEST_SECRET } from '../../test/helpers/env.ts';
import { decodeAuditEntry } from '../audit/index.ts';
import { fixedClock } from '../clock/index.ts';
import { fromBase64, toBase64, utf8 } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { SoftwareKeyStore } from '../keys/index.ts';
import { verifyLogStorage } from '../log/index.ts';
import { hashLeaf, verifyInclusion } from '../merkle/index.ts';
import { verifyCheckpoint } from '../note/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { openVerity } from '../verity/index.ts';
import { GENERIC_SCHEMA } from './schemas.ts';

const A = { actor: 'operator:test', purpose: 'service-provision' };

function code(c: string) {
  return (e: unknown) => isVerityError(e) && e.code === c;
}

for (const backend of BACKENDS) {
  describe(`vault on ${backend}`, () => {
    let core: TestCore;
    before(async () => {
      core = await makeCore(backend);
    });
    after(() => core.dispose());

    it('writes a sealed record and reads it back with a verified proof', async () => {
      const w = await core.vault.put({
        ...A,
        subject: 'player-1',
        type: 'avatar.profile',
        data: { name: 'Ada', level: 7 },
      });
      assert.match(w.id, /^rec_[A-Za-z0-9_-]{22}$/);
      assert.equal(w.version, 1);
      const r = await core.vault.get(w.id, A);
      assert.deepEqual(r.data, { name: 'Ada', level: 7 });
      assert.equal(r.meta.subject, 'player-1');
      assert.equal(r.meta.type, 'avatar.profile');
      assert.equal(r.meta.state, 'stored');
      assert.equal(r.meta.logIndex, w.logIndex);
      assert.equal(r.meta.provenance.creator, 'operator:test');
      assert.equal(r.meta.schema, 'verity:generic');
      // The proof is independently checkable against the signed checkpoint.
      const { checkpoint } = verifyCheckpoint(r.proof.checkpoint, core.log.verifier);
      assert.equal(checkpoint.size, r.proof.treeSize);
      const leaf = hashLeaf(fromBase64(r.proof.entry));
      assert.equal(toBase64(leaf), r.proof.leafHash);
      verifyInclusion(
        leaf,
        w.logIndex,
        r.proof.treeSize,
        r.proof.proof.map((p) => fromBase64(p)),
        checkpoint.rootHash,
      );
      const written = decodeAuditEntry(fromBase64(r.proof.entry));
      assert.equal(written.action, 'record.create');
      assert.equal(written.resource, `record:${w.id}@1`);
      assert.equal(written.contentHash, w.contentHash);
      // The read itself was audited.
      const [readEntry] = await core.log.entries(r.readLogIndex, r.readLogIndex + 1);
      const read = decodeAuditEntry(readEntry as Uint8Array);
      assert.equal(read.action, 'record.read');
      assert.equal(read.purpose, 'service-provision');
      assert.equal(read.subject, written.subject);
    });

    it('versions records and keeps history readable', async () => {
      const w1 = await core.vault.put({ ...A, subject: 'player-2', type: 'inventory', data: { items: ['sword'] } });
      const w2 = await core.vault.put({
        ...A,
        id: w1.id,
        subject: 'player-2',
        type: 'inventory',
        data: { items: ['sword', 'shield'] },
      });
      assert.equal(w2.version, 2);
      assert.deepEqual((await core.vault.get(w1.id, A)).data, { items: ['sword', 'shield'] });
      assert.deepEqual((await core.vault.get(w1.id, { ...A, version: 1 })).data, { items: ['sword'] });
      const h = await core.vault.history(w1.id, A);
      assert.deepEqual(
        h.map((m) => m.version),
        [1, 2],
      );
      await assert.rejects(
        core.vault.put({ ...A, id: w1.id, subject: 'player-3', type: 'inventory', data: {} }),
        code('VERITY_E_INPUT_INVALID'),
      );
      await assert.rejects(
        core.vault.put({ ...A, id: w1.id, subject: 'player-2', type: 'other', data: {} }),
        code('VERITY_E_INPUT_INVALID'),
      );
      const list = await core.vault.listBySubject('player-2', A);
      assert.deepEqual(
        list.map((m) => [m.id, m.version]),
        [[w1.id, 2]],
      );
    });

    it('reads the row a decision was made on once, and only for the record and version it describes', async () => {
      const w1 = await core.vault.put({ ...A, subject: 'player-2', type: 'inventory', data: { n: 1 } });
      await core.vault.put({ ...A, id: w1.id, subject: 'player-2', type: 'inventory', data: { n: 2 } });
      const other = await core.vault.put({ ...A, subject: 'player-3', type: 'inventory', data: { n: 3 } });
      const facts = await core.vault.describe(w1.id, 1);
      assert.ok(facts !== undefined);
      const reader = core.store.reader;
      const original = reader.getRecord.bind(reader);
      let reads = 0;
      reader.getRecord = (id, version) => {
        reads++;
        return original(id, version);
      };
      try {
        assert.deepEqual((await core.vault.get(w1.id, { ...A, version: 1, facts })).data, { n: 1 });
        assert.equal(reads, 0, 'the described row is read again');
        // Facts of another record or version never stand in for the row asked for.
        assert.deepEqual((await core.vault.get(other.id, { ...A, facts })).data, { n: 3 });
        assert.deepEqual((await core.vault.get(w1.id, { ...A, version: 2, facts })).data, { n: 2 });
        assert.equal(reads, 2);
        // A look-alike object is not a described row.
        assert.deepEqual((await core.vault.get(w1.id, { ...A, version: 1, facts: { ...facts } })).data, { n: 1 });
        assert.equal(reads, 3);
      } finally {
        reader.getRecord = original;
      }
    });

    it('validates against registered schemas', async () => {
      await core.vault.registerSchema(
        'chat.message',
        {
          type: 'object',
          properties: { text: { type: 'string', maxLength: 10 } },
          required: ['text'],
          additionalProperties: false,
        },
        A,
      );
      await core.vault.put({ ...A, subject: 'p', type: 'chat.message', data: { text: 'hi' } });
      await assert.rejects(
        core.vault.put({ ...A, subject: 'p', type: 'chat.message', data: { text: 'far too long for this' } }),
        code('VERITY_E_RECORD_SCHEMA'),
      );
      await assert.rejects(
        core.vault.put({ ...A, subject: 'p', type: 'chat.message', data: { txt: 'hi' } }),
        code('VERITY_E_RECORD_SCHEMA'),
      );
      await assert.rejects(core.vault.registerSchema('bad', { type: 'nonsense' }, A), code('VERITY_E_RECORD_SCHEMA'));
      const r = await core.vault.put({ ...A, subject: 'p', type: 'chat.message', data: { text: 'ok' } });
      assert.match((await core.vault.get(r.id, A)).meta.schema, /^chat\.message@sha256:/);
    });

    it('validates input at the boundary with typed errors', async () => {
      const put = (over: Record<string, unknown>) =>
        core.vault.put({ ...A, subject: 's', type: 't', data: {}, ...over } as never);
      await assert.rejects(put({ purpose: 'Not A Purpose' }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(put({ subject: '' }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(put({ subject: 'x'.repeat(300) }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(put({ type: 'Bad Type' }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(put({ data: [1, 2] }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(put({ data: { big: 'x'.repeat(300 * 1024) } }), code('VERITY_E_INPUT_TOO_LARGE'));
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 100; i++) deep = { d: deep };
      await assert.rejects(put({ data: deep }), code('VERITY_E_INPUT_TOO_LARGE'));
      await assert.rejects(put({ retainUntil: 'tomorrow' }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(put({ lineage: ['not-an-id'] }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(put({ classification: { sensitivity: 'secret' } }), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(core.vault.get('rec_nope', A), code('VERITY_E_INPUT_INVALID'));
      await assert.rejects(core.vault.get('rec_AAAAAAAAAAAAAAAAAAAAAA', A), code('VERITY_E_RECORD_NOT_FOUND'));
    });

    it('checks provenance signatures', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const pub = toBase64(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12)));
      const data = { pos: [1, 2, 3] };
      const msg = utf8(`{"data":{"pos":[1,2,3]},"type":"position"}`);
      const value = toBase64(new Uint8Array(sign(null, msg, privateKey)));
      const w = await core.vault.put({
        ...A,
        subject: 'p',
        type: 'position',
        data,
        origin: 'captured',
        source: 'world:eu-1',
        signature: { alg: 'Ed25519', publicKey: pub, value },
      });
      const m = (await core.vault.get(w.id, A)).meta;
      assert.equal(m.origin, 'captured');
      assert.equal(m.provenance.source, 'world:eu-1');
      assert.equal(m.provenance.signature?.publicKey, pub);
      await assert.rejects(
        core.vault.put({
          ...A,
          subject: 'p',
          type: 'position',
          data: { pos: [1, 2, 4] },
          signature: { alg: 'Ed25519', publicKey: pub, value },
        }),
        code('VERITY_E_INPUT_INVALID'),
      );
    });

    it('refuses a moved or altered envelope: the state map catches it before the envelope is opened', async () => {
      const a = await core.vault.put({ ...A, subject: 'mover', type: 'note', data: { n: 'a' } });
      const b = await core.vault.put({ ...A, subject: 'mover', type: 'note', data: { n: 'b' } });
      const ra = (await core.store.reader.getRecord(a.id))!;
      const rb = (await core.store.reader.getRecord(b.id))!;
      // Move a's envelope onto b (same subject, same key), behind Verity's back.
      await core.sql('UPDATE t.records SET envelope = ? WHERE id = ? AND version = ?', [ra.envelope, b.id, 1]);
      await assert.rejects(core.vault.get(b.id, A), code('VERITY_E_STATE_TAMPERED'));
      const flipped = new Uint8Array(ra.envelope!);
      flipped[flipped.length - 20] = (flipped[flipped.length - 20] as number) ^ 0x80;
      await core.sql('UPDATE t.records SET envelope = ? WHERE id = ? AND version = ?', [flipped, a.id, 1]);
      await assert.rejects(core.vault.get(a.id, A), code('VERITY_E_STATE_TAMPERED'));
      // Put back, both read again.
      await core.sql('UPDATE t.records SET envelope = ? WHERE id = ? AND version = ?', [ra.envelope, a.id, 1]);
      await core.sql('UPDATE t.records SET envelope = ? WHERE id = ? AND version = ?', [rb.envelope, b.id, 1]);
      assert.deepEqual((await core.vault.get(a.id, A)).data, { n: 'a' });
      assert.deepEqual((await core.vault.get(b.id, A)).data, { n: 'b' });
    });

    it('reports a tampered log entry instead of serving a proof over it', async () => {
      const w = await core.vault.put({ ...A, subject: 'tamper', type: 'note', data: { t: 1 } });
      const [original] = await core.log.entries(w.logIndex, w.logIndex + 1);
      const forged = new TextEncoder().encode(
        new TextDecoder().decode(original).replace('record.create', 'record.update'),
      );
      await core.corruptEntry(w.logIndex, forged);
      await assert.rejects(core.vault.get(w.id, A), code('VERITY_E_LOG_TAMPERED'));
      await assert.rejects(
        verifyLogStorage(core.store, core.log.verifier, 'verity.test/log'),
        code('VERITY_E_LOG_TAMPERED'),
      );
      await core.corruptEntry(w.logIndex, original as Uint8Array);
      await core.vault.get(w.id, A);
      await verifyLogStorage(core.store, core.log.verifier, 'verity.test/log');
    });

    it('moves records through lifecycle states and erases them', async () => {
      const w = await core.vault.put({ ...A, subject: 'life', type: 'note', data: { t: 1 } });
      assert.equal((await core.vault.transition(w.id, 'shared', A)).from, 'stored');
      await core.vault.transition(w.id, 'archived', A);
      await assert.rejects(core.vault.transition(w.id, 'used', A), code('VERITY_E_RECORD_STATE'));
      await assert.rejects(core.vault.transition(w.id, 'erased' as never, A), code('VERITY_E_INPUT_INVALID'));
      const e = await core.vault.erase(w.id, A);
      assert.equal(e.versions, 1);
      await assert.rejects(core.vault.get(w.id, A), code('VERITY_E_RECORD_ERASED'));
      await assert.rejects(
        core.vault.put({ ...A, id: w.id, subject: 'life', type: 'note', data: {} }),
        code('VERITY_E_RECORD_ERASED'),
      );
      const entry = decodeAuditEntry((await core.log.entries(e.logIndex, e.logIndex + 1))[0] as Uint8Array);
      assert.equal(entry.action, 'record.erase');
    });

    it('keeps plaintext personal data out of the log and the stored rows', async () => {
      const subject = 'alice.secret@example.com';
      const w = await core.vault.put({
        ...A,
        subject,
        type: 'contact',
        data: { phone: '+44 20 7946 0958', email: subject },
      });
      const head = await core.log.head();
      const all = Buffer.concat(await core.log.entries(0, head.size)).toString('latin1');
      assert.ok(!all.includes('alice'), 'subject id in the log');
      assert.ok(!all.includes('7946 0958'), 'data in the log');
      const row = (await core.store.reader.getRecord(w.id))!;
      const rowText = Buffer.concat([
        Buffer.from(row.meta),
        Buffer.from(row.subjectRef),
        Buffer.from(row.envelope!),
      ]).toString('latin1');
      assert.ok(!rowText.includes('alice') && !rowText.includes('7946 0958'));
      if (backend === 'sqlite') {
        const file = (await readFile(join(core.dir, 'verity.db'))).toString('latin1');
        const wal = await readFile(join(core.dir, 'verity.db-wal')).then(
          (b) => b.toString('latin1'),
          () => '',
        );
        assert.ok(!(file + wal).includes('alice') && !(file + wal).includes('7946 0958'));
      }
    });

    it('rotates the KEK online while writes go on, then destroys the retired one', async () => {
      const ids = await Promise.all(
        Array.from({ length: 30 }, (_, i) => core.vault.put({ ...A, subject: `rot-${i}`, type: 'note', data: { i } })),
      );
      const writes = Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          core.vault.put({ ...A, subject: `rot-during-${i % 20}`, type: 'note', data: { i } }),
        ),
      );
      const rotation = core.vault.rotateKeys({ ...A, batchSize: 7 });
      const [done, r] = await Promise.all([writes, rotation]);
      assert.equal(done.length, 60);
      assert.ok(r.rewrapped >= 30);
      const counts = await core.store.reader.countSubjectKeysByKek();
      assert.deepEqual([...counts.keys()], [r.kekVersion]);
      for (const w of [...ids, ...done]) await core.vault.get(w.id, A);
      const r2 = await core.vault.rotateKeys({ ...A, destroyRetired: true });
      assert.ok(r2.destroyed.includes(r.kekVersion - 1));
      const keks = await core.keys.listKeks();
      assert.equal(keks.find((k) => k.version === r.kekVersion - 1)?.state, 'destroyed');
      for (const w of ids.slice(0, 5)) await core.vault.get(w.id, A);
    });

    it('crypto-shreds a subject: its data is gone forever, backups included, others untouched', async () => {
      const s1 = await core.vault.put({ ...A, subject: 'leaver', type: 'note', data: { secret: 1 } });
      await core.vault.put({ ...A, id: s1.id, subject: 'leaver', type: 'note', data: { secret: 2 } });
      const s2 = await core.vault.put({ ...A, subject: 'leaver', type: 'note', data: { secret: 3 } });
      const keep = await core.vault.put({ ...A, subject: 'stayer', type: 'note', data: { ok: true } });
      const pseudonym = decodeAuditEntry(
        (await core.log.entries(s1.logIndex, s1.logIndex + 1))[0] as Uint8Array,
      ).subject;
      let backupDir: string | undefined;
      if (backend === 'sqlite') {
        // A backup taken before the shred (checkpointed WAL included).
        backupDir = join(core.dir, 'backup');
        await (await import('node:fs/promises')).mkdir(backupDir);
        for (const f of ['verity.db', 'verity.db-wal'])
          await copyFile(join(core.dir, f), join(backupDir, f)).catch(() => undefined);
      }
      const r = await core.vault.shredSubject('leaver', { actor: 'operator:test', purpose: 'erasure-request' });
      assert.equal(r.versions, 3);
      assert.ok(r.destroyedKeks.length >= 1);
      for (const id of [s1.id, s2.id])
        await assert.rejects(
          core.vault.get(id, A),
          (e) => isVerityError(e) && ['VERITY_E_RECORD_ERASED', 'VERITY_E_SUBJECT_SHREDDED'].includes(e.code),
        );
      await assert.rejects(core.vault.get(s1.id, { ...A, version: 1 }), (e) => isVerityError(e));
      assert.deepEqual((await core.vault.get(keep.id, A)).data, { ok: true });
      const shredEntry = decodeAuditEntry((await core.log.entries(r.logIndex, r.logIndex + 1))[0] as Uint8Array);
      assert.equal(shredEntry.action, 'subject.shred');
      assert.equal(shredEntry.subject, pseudonym);
      // New data for the same id gets a new key and a new, unlinkable pseudonym.
      const again = await core.vault.put({ ...A, subject: 'leaver', type: 'note', data: { fresh: true } });
      const againEntry = decodeAuditEntry(
        (await core.log.entries(again.logIndex, again.logIndex + 1))[0] as Uint8Array,
      );
      assert.notEqual(againEntry.subject, pseudonym);
      await assert.rejects(core.vault.shredSubject('nobody-here', A), code('VERITY_E_KEY_NOT_FOUND'));
      if (backupDir !== undefined) {
        // The backup still holds the wrapped key and ciphertext, but its KEK is destroyed.
        const keys = await SoftwareKeyStore.open(join(core.dir, 'keys.json'), TEST_SECRET);
        const old = await openVerity({
          store: await openSqliteStore(join(backupDir, 'verity.db')),
          keys,
          origin: 'verity.test/log',
        });
        try {
          await assert.rejects(old.vault.get(s1.id, A), code('VERITY_E_KEY_DESTROYED'));
        } finally {
          await old.close();
        }
      }
    });
  });
}

describe('retention', () => {
  it('erases records past their deadline', async () => {
    const clock = fixedClock(Date.parse('2026-01-01T00:00:00Z'));
    const core = await makeCore('sqlite', { clock });
    try {
      const short = await core.vault.put({
        ...A,
        subject: 'r',
        type: 'note',
        data: {},
        retainUntil: '2026-01-02T00:00:00Z',
      });
      const long = await core.vault.put({
        ...A,
        subject: 'r',
        type: 'note',
        data: {},
        retainUntil: '2027-01-01T00:00:00Z',
      });
      assert.equal(await core.vault.sweepExpired(A), 0);
      clock.set(Date.parse('2026-01-03T00:00:00Z'));
      assert.equal(await core.vault.sweepExpired(A), 1);
      await assert.rejects(core.vault.get(short.id, A), code('VERITY_E_RECORD_ERASED'));
      await core.vault.get(long.id, A);
    } finally {
      await core.dispose();
    }
  });

  it('refuses unknown types in strict mode', async () => {
    const core = await makeCore('sqlite', { unknownTypes: 'reject' });
    try {
      await assert.rejects(
        core.vault.put({ ...A, subject: 'x', type: 'unregistered', data: {} }),
        code('VERITY_E_RECORD_TYPE_UNKNOWN'),
      );
    } finally {
      await core.dispose();
    }
  });
});

describe('generic record schema', () => {
  it('is a valid JSON Schema in strict mode (checked here, not at start) and admits objects only', () => {
    const ajv = new Ajv({ strict: true });
    assert.equal(ajv.validateSchema(GENERIC_SCHEMA), true, JSON.stringify(ajv.errors));
    const validate = ajv.compile(GENERIC_SCHEMA);
    assert.equal(validate({ name: 'Ada' }), true);
    assert.equal(validate([1]), false);
    assert.equal(validate('text'), false);
  });
});
