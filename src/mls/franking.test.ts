// Message franking (franking.ts, reports.ts) on its own, on a real store and key store: the SDK's
// commitment is the service's, authenticated data other than `1 || 32 bytes` is refused, a report
// opens only with exactly what was stamped (properties over random plaintexts and random changes
// of each field), and moderators get the text PII-redacted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { toBase64Url } from '../encoding/index.ts';
import { isVerityError } from '../errors/index.ts';
import { frankingCommitment } from '../sdk/mls.ts';
import { commitment, FRANKING_KEY, readCommitment, stampInput } from './franking.ts';
import { MlsReports, type ReportInput } from './reports.ts';

const code = (c: string) => (e: unknown) => isVerityError(e) && e.code === c;
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('mls franking', () => {
  let core: TestCore;
  let reports: MlsReports;
  const group = new TextEncoder().encode('room-franking');

  before(async () => {
    core = await makeCore('sqlite');
    reports = new MlsReports({ store: core.store, log: core.log, keys: core.keys });
    await core.keys.ensureMacKey(FRANKING_KEY);
  });
  after(() => core?.dispose());

  /** What the service stamps for `recipient`, as delivery.ts does. */
  async function delivered(body: Uint8Array, nf: Uint8Array, seq: number, recipient = 'bob'): Promise<ReportInput> {
    const c = toBase64Url(commitment(nf, body));
    const at = 1_700_000_000_000 + seq;
    const stamp = toBase64Url(
      await core.keys.mac(
        FRANKING_KEY,
        stampInput({ commitment: c, sender: 'alice', groupId: toBase64Url(group), recipient, seq, at }),
      ),
    );
    return { groupId: group, seq, at, sender: 'alice', stamp, body, frankingKey: nf, reason: 'harassment' };
  }

  it("computes the same commitment as the SDK's client", () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(0, 300), (nf, body) =>
        assert.deepEqual(frankingCommitment(nf, body), commitment(nf, body)),
      ),
    );
  });

  it('reads a commitment only from `1 || 32 bytes` of authenticated data, a 40-byte log view after it', () => {
    fc.assert(
      fc.property(fc.oneof(bytes(0, 80), bytes(73, 73)), (aad) => {
        const good = (aad.byteLength === 33 || aad.byteLength === 73) && aad[0] === 1;
        if (good) assert.deepEqual(readCommitment(aad), aad.slice(1, 33));
        else assert.throws(() => readCommitment(aad), code('VERITY_E_MLS_MESSAGE_INVALID'));
      }),
    );
  });

  it('verifies a report opened as stamped, and refuses any change of plaintext, key, sender, room, message or reporter', async () => {
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(bytes(0, 200), bytes(32, 32), fc.integer({ min: 0, max: 6 }), async (body, nf, which) => {
        seq++;
        const r = await delivered(body, nf, seq);
        const flip = (b: Uint8Array) => {
          const c = b.length === 0 ? new Uint8Array([1]) : b.slice();
          c[0] = (c[0] as number) ^ 1;
          return c;
        };
        const forged: [string, ReportInput][] = [
          ['bob', { ...r, body: flip(r.body) }],
          ['bob', { ...r, frankingKey: flip(r.frankingKey) }],
          ['bob', { ...r, sender: 'carol' }],
          ['bob', { ...r, groupId: flip(r.groupId) }],
          ['bob', { ...r, seq: r.seq + 1 }],
          ['bob', { ...r, at: r.at + 1 }],
          ['carol', r],
        ];
        const [who, f] = forged[which] as [string, ReportInput];
        await assert.rejects(reports.report(who, f), code('VERITY_E_MLS_REPORT_FORGED'));
        const ok = await reports.report('bob', r);
        assert.match(ok.id, /^rep_[A-Za-z0-9_-]{22}$/);
      }),
      { numRuns: 25 },
    );
  });

  it('queues the reported text PII-redacted; the stored report holds no unredacted personal data', async () => {
    const text = 'call me on +44 20 7946 0958 or mail ada.lovelace@example.org';
    const r = await delivered(new TextEncoder().encode(text), new Uint8Array(32).fill(9), 10_000);
    const { id, redacted } = await reports.report('bob', { ...r, reason: 'spam' });
    assert.equal(redacted, 2);
    const got = await reports.get(id);
    assert.equal(got.text, 'call me on [PHONE] or mail [EMAIL]');
    assert.deepEqual(got.redacted, { PHONE: 1, EMAIL: 1 });
    const rows = await core.sql('SELECT body FROM t.objects WHERE kind = ?', ['mls.report']);
    const all = rows.map((x) => String(x['body'])).join('\n');
    // The number as written (a bare `7946` once turned up inside a millisecond timestamp: a flaky run).
    assert.ok(!all.includes('ada.lovelace') && !all.includes('7946 0958') && !all.includes('2079460958'));
    await assert.rejects(
      reports.act('operator:mod', 'rep_AAAAAAAAAAAAAAAAAAAAAA', 'dismiss'),
      code('VERITY_E_MLS_REPORT_NOT_FOUND'),
    );
    assert.equal((await reports.act('operator:mod', id, 'dismiss')).status, 'closed');
    assert.ok((await reports.list({ status: 'closed' })).some((x) => x.id === id));
  });
});
