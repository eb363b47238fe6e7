import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson, fromUtf8, utf8 } from '../encoding/index.ts';
import { isVerityError, VerityError } from '../errors/index.ts';
import {
  AUDIT_ACTIONS,
  type AuditEvent,
  auditPseudonym,
  decodeAuditEntry,
  deriveSubkey,
  encodeAuditEntry,
} from './index.ts';

const base: AuditEvent = {
  actor: 'service:world-1',
  action: 'record.create',
  resource: 'record:rec_AAAAAAAAAAAAAAAAAAAAAA@1',
  purpose: 'service-provision',
  outcome: 'success',
  time: 1_700_000_000_000,
  subject: 'sp_AAAAAAAAAAAAAAAAAAAAAA',
  contentHash: `sha256:${'A'.repeat(43)}`,
  details: { type: 'avatar.profile' },
};

describe('audit entries', () => {
  it('encode as RFC 8785 canonical JSON and decode back', () => {
    const bytes = encodeAuditEntry(base);
    const text = fromUtf8(bytes);
    assert.ok(text.startsWith('{"action":"record.create","actor":'));
    assert.deepEqual(decodeAuditEntry(bytes), { v: 1, ...base });
  });

  it('refuse free-form text where personal data could slip in', () => {
    for (const over of [
      { actor: 'Alice Smith' },
      { resource: 'record: alice@example.com' },
      { purpose: 'because I want to' },
      { subject: 'alice' },
      { contentHash: 'md5:abc' },
      { policy: 'permit all' },
      { action: 'record.peek' },
      { details: { note: 'x'.repeat(200) } },
      { details: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) },
      { time: -1 },
    ]) {
      assert.throws(
        () => encodeAuditEntry({ ...base, ...over } as AuditEvent),
        (e) => isVerityError(e, 'VERITY_E_INPUT_INVALID'),
        JSON.stringify(over),
      );
    }
  });

  it('encodes exactly as the general RFC 8785 canonicalizer would', () => {
    const token = fc.stringMatching(/^[a-z][a-z0-9._-]{0,20}$/);
    fc.assert(
      fc.property(
        fc.record(
          {
            actor: token,
            action: fc.constantFrom(...AUDIT_ACTIONS),
            resource: token,
            purpose: token,
            outcome: fc.constantFrom('success', 'denied', 'error'),
            time: fc.nat(),
            subject: fc.stringMatching(/^sp_[A-Za-z0-9_-]{22}$/),
            contentHash: fc.stringMatching(/^sha256:[A-Za-z0-9_-]{43}$/),
            policy: fc.stringMatching(/^sha256:[A-Za-z0-9_-]{43}$/),
            details: fc.dictionary(
              fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,8}$/),
              fc.oneof(fc.string({ maxLength: 40 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()),
              { maxKeys: 5 },
            ),
          },
          { requiredKeys: ['actor', 'action', 'resource', 'purpose', 'outcome', 'time'] },
        ),
        (e) => {
          const event = e as AuditEvent;
          assert.equal(fromUtf8(encodeAuditEntry(event)), canonicalJson({ v: 1, ...event }));
        },
      ),
    );
  });

  it('decoding arbitrary bytes only ever throws typed errors', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          decodeAuditEntry(b);
        } catch (e) {
          assert.ok(e instanceof VerityError, String(e));
        }
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          decodeAuditEntry(utf8(JSON.stringify(v)));
        } catch (e) {
          assert.ok(e instanceof VerityError, String(e));
        }
      }),
    );
  });

  it('derives stable pseudonyms per data key that differ across keys and purposes', () => {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    assert.equal(auditPseudonym(k1), auditPseudonym(k1));
    assert.notEqual(auditPseudonym(k1), auditPseudonym(k2));
    assert.match(auditPseudonym(k1), /^sp_[A-Za-z0-9_-]{22}$/);
    assert.notDeepEqual(deriveSubkey(k1, 'a'), deriveSubkey(k1, 'b'));
  });
});
