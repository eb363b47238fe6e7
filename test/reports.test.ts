// Access reports on both stores: a scripted history (writes, reads, a denied read, an erasure, a
// shred) gives each subject exactly its lines, every line verifies in the SDK against the signed
// checkpoint, a tampered line or proof is refused, and a shredded subject's report is empty.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_POLICIES, PolicyEngine, recordResource } from '../src/access/index.ts';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { fromBase64, type JsonValue, toBase64 } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { Tokens } from '../src/principals/index.ts';
import {
  AccessReports,
  accessReportToJsonLines,
  defaultLegalBases,
  privacyLabel,
  privacyLabelText,
} from '../src/reports/index.ts';
import { verifyAccessReport } from '../src/sdk/index.ts';
import { makeGate } from '../src/server/gate.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

const SVC = { actor: 'service:world-1', purpose: 'service-provision' };

for (const backend of BACKENDS) {
  describe(`access reports (${backend})`, () => {
    let core: TestCore;
    let reports: AccessReports;
    const clock = fixedClock(Date.parse('2026-05-01T10:00:00Z'));
    let ids: { a1: string; a2: string; b1: string };

    before(async () => {
      core = await makeCore(backend, { clock });
      reports = new AccessReports(core.store, core.log, core.vault, { clock });
      const put = async (subject: string, data: JsonValue, id?: string) =>
        (
          await core.vault.put({
            ...SVC,
            subject,
            type: 'profile',
            data,
            retainUntil: clock.now() + 30 * 86_400_000,
            ...(id ? { id } : {}),
          })
        ).id;
      const a1 = await put('player-a', { name: 'Ada' });
      await put('player-a', { name: 'Ada L.' }, a1);
      clock.advance(1000);
      const a2 = await put('player-a', { level: 3 });
      const b1 = await put('player-b', { name: 'Bo' });
      await core.vault.get(a1, SVC);
      // A denied read of player-a's record by another service, decided and logged by the gate.
      const gate = makeGate({
        vault: core.vault,
        log: core.log,
        tokens: new Tokens(core.store, core.log),
        policies: () => PolicyEngine.load(DEFAULT_POLICIES),
        clock,
      });
      const facts = await core.vault.describe(a2);
      const intruder = {
        role: 'service' as const,
        name: 'shop',
        actor: 'service:shop',
        recordTypes: ['inventory'],
        capabilities: [],
        tokenId: 'tok_aaaaaaaaaaaa',
      };
      await assert.rejects(
        gate.authorizeOrDeny(
          intruder as never,
          'read',
          recordResource(a2, { id: facts?.subjectRef ?? 'x' }, facts),
          `record:${a2}`,
          'marketing',
        ),
        (e) => isVerityError(e, 'VERITY_E_ACCESS_DENIED'),
      );
      await core.vault.erase(a2, { actor: 'operator:cli', purpose: 'erasure-request' });
      ids = { a1, a2, b1 };
    });
    after(() => core.dispose());

    const ref = (s: string) => core.vault.subjectRef(s);

    it('lists every entry about the subject, each proven, and nothing about others', async () => {
      const r = await reports.build(await ref('player-a'), { actor: 'operator:dpo', purpose: 'user-request' });
      const actions = r.lines.map((l) => `${l.action}:${l.outcome}`);
      assert.deepEqual(actions, [
        'key.create:success',
        'record.create:success',
        'record.update:success',
        'record.create:success',
        'record.read:success',
        'policy.decision:denied',
        'record.erase:success',
        'report.access:success',
      ]);
      for (const l of r.lines) assert.ok(!l.resource.includes(ids.b1));
      const denied = r.lines.find((l) => l.outcome === 'denied');
      assert.equal(denied?.actor, 'service:shop');
      assert.equal(denied?.purpose, 'marketing');
      assert.equal(denied?.legalBasis, 'consent');
      assert.equal(r.lines.find((l) => l.action === 'record.read')?.legalBasis, 'contract');
      assert.equal(r.header.completeness.recordWritesChecked, 3);
      const v = verifyAccessReport(accessReportToJsonLines(r), { verifierKey: core.log.verifierKey });
      assert.equal(v.entries.length, r.lines.length);
      assert.equal(v.checkpoint.size, r.header.treeSize);
      // Every line is also a proof case `verity log verify-proof` reads: its entry decodes to the line.
      for (const l of r.lines) assert.equal(decodeAuditEntry(fromBase64(l.entry)).actor, l.actor);
    });

    it('a second report includes the first one’s request, and pages with `after`', async () => {
      const first = await reports.build(await ref('player-b'), { actor: 'operator:dpo', purpose: 'user-request' });
      const second = await reports.build(await ref('player-b'), { actor: 'operator:dpo', purpose: 'user-request' });
      assert.equal(second.lines.length, first.lines.length + 1);
      const page = await reports.build(
        await ref('player-b'),
        { actor: 'operator:dpo', purpose: 'user-request' },
        { limit: 1 },
      );
      assert.equal(page.lines.length, 1);
      assert.equal(page.header.next, page.lines[0]?.index);
      const rest = await reports.build(
        await ref('player-b'),
        { actor: 'operator:dpo', purpose: 'user-request' },
        { after: page.header.next as number },
      );
      verifyAccessReport(rest, { verifierKey: core.log.verifierKey });
      assert.ok(rest.lines.every((l) => l.index > (page.header.next as number)));
    });

    it('refuses a tampered line, a tampered proof, a dropped line count and another key', async () => {
      const r = await reports.build(await ref('player-a'), { actor: 'operator:dpo', purpose: 'user-request' });
      const key = { verifierKey: core.log.verifierKey };
      const code = (f: () => unknown) => {
        try {
          f();
          return 'accepted';
        } catch (e) {
          return (e as { code?: string }).code;
        }
      };
      const with_ = (i: number, patch: Record<string, unknown>) => ({
        header: r.header,
        lines: r.lines.map((l, k) => (k === i ? { ...l, ...patch } : l)),
      });
      assert.equal(
        code(() => verifyAccessReport(with_(1, { actor: 'service:other' }), key)),
        'VERITY_E_REPORT_INVALID',
      );
      assert.equal(
        code(() => verifyAccessReport(with_(1, { legalBasis: 'consent' }), key)),
        'VERITY_E_REPORT_INVALID',
      );
      const proof = [...(r.lines[1]?.proof ?? [])];
      proof[0] = toBase64(new Uint8Array(32).fill(7));
      assert.equal(
        code(() => verifyAccessReport(with_(1, { proof }), key)),
        'VERITY_E_LOG_PROOF_INVALID',
      );
      // Another subject's entry slipped in: its entry and leaf are consistent, but it names another subject.
      const other = await reports.build(await ref('player-b'), { actor: 'operator:dpo', purpose: 'user-request' });
      const foreign = (await core.log.inclusionProof(other.lines[0]?.index as number, r.header.treeSize)) as never;
      const slipped = {
        header: { ...r.header, lines: r.lines.length + 1 },
        lines: [...r.lines, { ...other.lines[0], ...(foreign as object), index: other.lines[0]?.index }].sort(
          (x, y) => (x?.index as number) - (y?.index as number),
        ),
      };
      assert.equal(
        code(() => verifyAccessReport(slipped, key)),
        'VERITY_E_REPORT_INVALID',
      );
      assert.equal(
        code(() => verifyAccessReport({ header: r.header, lines: r.lines.slice(1) }, key)),
        'VERITY_E_REPORT_INVALID',
      );
      assert.equal(
        code(() => verifyAccessReport('{"report":"x"}', key)),
        'VERITY_E_REPORT_MALFORMED',
      );
      const stranger = await makeCore('sqlite');
      try {
        assert.match(
          String(code(() => verifyAccessReport(r, { verifierKey: stranger.log.verifierKey }))),
          /^VERITY_E_LOG_/,
        );
      } finally {
        await stranger.dispose();
      }
    });

    it('refuses any single changed field of any line (property)', async () => {
      const r = await reports.build(await ref('player-a'), { actor: 'operator:dpo', purpose: 'user-request' });
      const key = { verifierKey: core.log.verifierKey };
      const FIELDS = [
        'index',
        'leafIndex',
        'treeSize',
        'leafHash',
        'rootHash',
        'entry',
        'time',
        'actor',
        'action',
        'resource',
        'recordType',
        'purpose',
        'legalBasis',
        'outcome',
        'proof',
      ] as const;
      fc.assert(
        fc.property(
          fc.nat(r.lines.length - 1),
          fc.constantFrom(...FIELDS),
          fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.base64String({ minLength: 44, maxLength: 44 })),
          (i, field, value) => {
            const line = r.lines[i] as unknown as Record<string, unknown>;
            const changed =
              field === 'proof'
                ? { ...line, proof: (line['proof'] as string[]).map((p, k) => (k === 0 ? String(value) : p)) }
                : { ...line, [field]: value };
            if (JSON.stringify(changed) === JSON.stringify(line)) return;
            const lines = r.lines.map((l, k) => (k === i ? changed : l));
            assert.throws(
              () => verifyAccessReport({ header: r.header, lines }, key),
              (e) => isVerityError(e),
            );
          },
        ),
        { numRuns: 200 },
      );
    });

    it('after a shred the subject has no report, and the index keeps nothing of them', async () => {
      const before = await reports.build(await ref('player-b'), { actor: 'operator:dpo', purpose: 'user-request' });
      const pseudonym = before.header.subject as string;
      await core.vault.shredSubject('player-b', { actor: 'operator:cli', purpose: 'erasure-request' });
      const r = await reports.build(await ref('player-b'), { actor: 'operator:dpo', purpose: 'user-request' });
      assert.equal(r.header.subject, null);
      assert.equal(r.lines.length, 0);
      verifyAccessReport(r, { verifierKey: core.log.verifierKey });
      await reports.index.catchUp();
      assert.deepEqual(await reports.index.indicesOf(core.store.reader, pseudonym), []);
      assert.equal(await reports.index.subjectOfRecord(core.store.reader, ids.b1), undefined);
      // New data for the same player starts a new, unlinked pseudonym.
      await core.vault.put({ ...SVC, subject: 'player-b', type: 'profile', data: { name: 'Bo again' } });
      const again = await reports.build(await ref('player-b'), { actor: 'operator:dpo', purpose: 'user-request' });
      assert.notEqual(again.header.subject, pseudonym);
      assert.equal(again.lines.filter((l) => l.action === 'record.create').length, 1);
    });

    it('finds a dropped write line by the state map cross-check', async () => {
      const a = await ref('player-a');
      const pseudonym = (await reports.build(a, { actor: 'operator:dpo', purpose: 'user-request' })).header.subject;
      // Rewrite the index's first chunk without the first write, through the log (a buggy indexer).
      await core.log.submit(async (tx) => {
        const row = await tx.getObject('report.entries', `${pseudonym}/0`);
        assert.ok(row);
        const body = JSON.parse(row.body) as { indices: number[] };
        const w = (await core.store.reader.getRecord(ids.a1, 1))?.logIndex;
        body.indices = body.indices.filter((i) => i !== w);
        await tx.putObject({ ...row, body: JSON.stringify(body), version: row.version + 1 });
      });
      await assert.rejects(reports.build(a, { actor: 'operator:dpo', purpose: 'user-request' }), (e) =>
        isVerityError(e, 'VERITY_E_REPORT_INDEX_INCOMPLETE'),
      );
    });

    it('makes a privacy label from the schema, the records and the tokens', async () => {
      await core.vault.registerSchema(
        'profile',
        { type: 'object', properties: { name: { type: 'string' }, level: { type: 'integer' } }, required: [] },
        { actor: 'operator:cli', purpose: 'administration' },
      );
      await new Tokens(core.store, core.log).create({
        principal: 'world-1',
        role: 'service',
        recordTypes: ['profile'],
        actor: 'operator:test',
      });
      const l = await privacyLabel(core.store.reader, 'profile', { clock, legalBases: defaultLegalBases() });
      assert.deepEqual(l.schema?.fields, ['level', 'name']);
      assert.deepEqual(
        l.purposes.map((p) => [p.purpose, p.basis]),
        [['service-provision', 'contract']],
      );
      assert.equal(l.retention.withDeadline, true);
      assert.equal(l.retention.longestDays, 30);
      assert.deepEqual(l.recipients, ['service:world-1']);
      assert.match(privacyLabelText(l), /Recipients: service:world-1/);
      await assert.rejects(
        privacyLabel(core.store.reader, 'nothing', { clock, legalBases: defaultLegalBases() }),
        (e) => isVerityError(e, 'VERITY_E_REPORT_TYPE_UNKNOWN'),
      );
    });
  });
}
