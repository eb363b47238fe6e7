// The incident register on both stores, with a fake clock: the subjects a breach affected found
// through the log, the 72-hour clock of GDPR Art. 33 and the overdue listing, notifications with
// their evidence bound into the log, and every change logged.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeAuditEntry } from '../src/audit/index.ts';
import { fixedClock } from '../src/clock/index.ts';
import { toBase64Url } from '../src/encoding/index.ts';
import { isVerityError } from '../src/errors/index.ts';
import { IncidentRegister, NOTIFY_WITHIN_MS } from '../src/incidents/index.ts';
import { AccessReports } from '../src/reports/index.ts';
import { BACKENDS, makeCore, type TestCore } from './helpers/core.ts';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-06-01T08:00:00Z');
const DPO = { actor: 'operator:dpo' };

for (const backend of BACKENDS) {
  describe(`incident register (${backend})`, () => {
    let core: TestCore;
    let register: IncidentRegister;
    const clock = fixedClock(T0);
    const pseudonyms: Record<string, string> = {};

    before(async () => {
      core = await makeCore(backend, { clock });
      const reports = new AccessReports(core.store, core.log, core.vault, { clock });
      register = new IncidentRegister(core.store, core.log, reports.index, { clock });
      const svc = { actor: 'service:world-1', purpose: 'service-provision' };
      const ids: Record<string, string> = {};
      for (const p of ['p1', 'p2', 'p3'])
        ids[p] = (await core.vault.put({ ...svc, subject: p, type: 'profile', data: { p } })).id;
      await core.vault.put({ ...svc, subject: 'p4', type: 'inventory', data: { items: 1 } });
      // A leaked token reads p1's and p2's profiles an hour later; p3's only the next day.
      clock.advance(HOUR);
      const leak = { actor: 'service:leaky', purpose: 'service-provision' };
      await core.vault.get(ids['p1'] as string, leak);
      await core.vault.get(ids['p2'] as string, leak);
      clock.advance(24 * HOUR);
      await core.vault.get(ids['p3'] as string, leak);
      for (const p of ['p1', 'p2', 'p3', 'p4'])
        pseudonyms[p] = (await core.vault.auditPseudonym(await core.vault.subjectRef(p))) as string;
    });
    after(() => core.dispose());

    it('finds the affected subjects through the log, by window, actor and record type', async () => {
      clock.set(T0 + 26 * HOUR);
      const i = await register.open(
        {
          description: 'a service token of the shop leaked and was used from outside',
          categories: ['dpv-pd:Contact'],
          detectedAt: T0 + 25 * HOUR,
          awareAt: T0 + 26 * HOUR,
          affected: { from: T0 + HOUR / 2, to: T0 + 2 * HOUR, actors: ['service:leaky'] },
        },
        DPO,
      );
      assert.deepEqual(i.affected?.subjects, [pseudonyms['p1'], pseudonyms['p2']].sort());
      assert.equal(i.affected?.entries, 2);
      assert.equal(i.deadline, T0 + 26 * HOUR + NOTIFY_WITHIN_MS);
      assert.equal(i.overdue, false);
      // A wider window finds p3 too; a filter on another record type finds none of them.
      const wider = await register.assess(i.id, { from: T0, to: T0 + 30 * HOUR, actors: ['service:leaky'] }, DPO);
      assert.equal(wider.affected?.count, 3);
      const inventory = await register.assess(i.id, { from: T0, to: T0 + 30 * HOUR, recordTypes: ['inventory'] }, DPO);
      assert.deepEqual(inventory.affected?.subjects, [pseudonyms['p4']]);
    });

    it('runs the 72-hour clock: overdue when the authority is not notified in time', async () => {
      clock.set(T0);
      const i = await register.open({ description: 'lost laptop', categories: ['dpv-pd:Location'] }, DPO);
      clock.set(T0 + 71 * HOUR);
      assert.ok(!(await register.list({ overdue: true })).some((x) => x.id === i.id));
      assert.equal((await register.get(i.id)).remainingMs, HOUR);
      clock.set(T0 + 73 * HOUR);
      const overdue = await register.list({ overdue: true });
      assert.ok(overdue.some((x) => x.id === i.id));
      const evidence = `sha256:${toBase64Url(createHash('sha256').update('the notice as sent').digest())}`;
      const n = await register.notify(
        i.id,
        { to: 'authority', reference: 'DPA case 2026-0042', evidenceHash: evidence, delayReason: 'forensics' },
        DPO,
      );
      assert.equal(n.status, 'notified');
      assert.equal(n.overdue, false);
      assert.equal(n.notifications[0]?.late, true);
      assert.equal(n.delayReason, 'forensics');
      const s = await register.notify(i.id, { to: 'subjects', reference: 'mail batch 7', subjects: 2 }, DPO);
      assert.equal(s.notifications.length, 2);
      const closed = await register.close(i.id, { resolution: 'laptop wiped remotely' }, DPO);
      assert.equal(closed.status, 'closed');
      // Every change is logged; the notification's entry carries the evidence hash.
      const actions = [];
      for (const idx of closed.logIndices) {
        const [bytes] = await core.log.entries(idx, idx + 1);
        const e = decodeAuditEntry(bytes as Uint8Array);
        assert.equal(e.resource, `incident:${i.id}`);
        actions.push(e.action);
        if (idx === n.notifications[0]?.logIndex) assert.equal(e.contentHash, evidence);
      }
      assert.deepEqual(actions, ['incident.open', 'incident.notify', 'incident.notify', 'incident.close']);
      await assert.rejects(register.notify(i.id, { to: 'authority', reference: 'again' }, DPO), (e) =>
        isVerityError(e, 'VERITY_E_INCIDENT_STATE'),
      );
      assert.equal((await register.list({ status: 'closed' })).length, 1);
    });

    it('closing without notifying the authority needs a reason, and then is not overdue', async () => {
      clock.set(T0);
      const i = await register.open({ description: 'encrypted backup tape lost', categories: ['dpv-pd:Contact'] }, DPO);
      clock.set(T0 + 100 * HOUR);
      const c = await register.close(
        i.id,
        { resolution: 'tape encrypted, key safe', notRequired: 'unlikely to result in a risk (Art. 33(1))' },
        DPO,
      );
      assert.equal(c.overdue, false);
    });

    it('refuses bad input and unknown incidents', async () => {
      const refused = (p: Promise<unknown>, code: string) => assert.rejects(p, (e) => isVerityError(e, code as never));
      await refused(register.get('inc_AAAAAAAAAAAAAAAAAAAAAA'), 'VERITY_E_INCIDENT_NOT_FOUND');
      await refused(register.get('../etc'), 'VERITY_E_INPUT_INVALID');
      await refused(register.open({ description: '', categories: [] }, DPO), 'VERITY_E_INPUT_INVALID');
      await refused(register.open({ description: 'x', categories: ['a b'] }, DPO), 'VERITY_E_INPUT_INVALID');
      await refused(
        register.open({ description: 'x', categories: [], affected: { from: 10, to: 5 } }, DPO),
        'VERITY_E_INPUT_INVALID',
      );
      const i = await register.open({ description: 'x', categories: [] }, DPO);
      await refused(register.notify(i.id, { to: 'press' as never, reference: 'r' }, DPO), 'VERITY_E_INPUT_INVALID');
      await refused(
        register.notify(i.id, { to: 'authority', reference: 'r', evidenceHash: 'md5:abc' }, DPO),
        'VERITY_E_INPUT_INVALID',
      );
      // D436: no incident aware in the future (never overdue) nor at time 0; no notification before
      // awareness or in the future.
      const now = clock.now();
      await refused(
        register.open({ description: 'x', categories: [], awareAt: 99_999_999_999_999 }, DPO),
        'VERITY_E_INPUT_INVALID',
      );
      await refused(
        register.open({ description: 'x', categories: [], detectedAt: 0, awareAt: 0 }, DPO),
        'VERITY_E_INPUT_INVALID',
      );
      const old = await register.open(
        { description: 'x', categories: [], detectedAt: now - 10 * 24 * HOUR, awareAt: now - 10 * 24 * HOUR },
        DPO,
      );
      await refused(
        register.notify(old.id, { to: 'authority', reference: 'r', at: now - 20 * 24 * HOUR }, DPO),
        'VERITY_E_INPUT_INVALID',
      );
      await refused(
        register.notify(old.id, { to: 'authority', reference: 'r', at: now + 24 * HOUR }, DPO),
        'VERITY_E_INPUT_INVALID',
      );
      // Said to be sent in time, recorded now, after the deadline: the register says so.
      const backdated = await register.notify(
        old.id,
        { to: 'authority', reference: 'r', at: now - 9 * 24 * HOUR },
        DPO,
      );
      const n = backdated.notifications.at(-1);
      assert.deepEqual([n?.late, n?.recordedAfterDeadline], [false, true]);
    });

    it('refuses to find affected subjects through a log entry changed in the store (D415)', async () => {
      // The leaked token's read of p1, its actor renamed in the stored row: the scan would leave p1 out.
      const size = (await core.log.head()).size;
      const all = await core.log.entries(0, size);
      const at = all.findIndex((b) => {
        const text = new TextDecoder().decode(b);
        return text.includes('service:leaky') && text.includes(pseudonyms['p1'] as string);
      });
      assert.ok(at >= 0);
      const original = all[at] as Uint8Array;
      const text = new TextDecoder().decode(original);
      assert.ok(text.includes('service:leaky'));
      await core.corruptEntry(at, new TextEncoder().encode(text.replace('service:leaky', 'service:xeaky')));
      try {
        const i = await register.open({ description: 'leak', categories: [] }, DPO);
        await assert.rejects(
          register.assess(i.id, { from: T0, to: T0 + 30 * HOUR, actors: ['service:leaky'] }, DPO),
          (e) => isVerityError(e, 'VERITY_E_LOG_TAMPERED') && new RegExp(`log entry ${at}`).test((e as Error).message),
        );
      } finally {
        await core.corruptEntry(at, original);
      }
    });
  });
}
