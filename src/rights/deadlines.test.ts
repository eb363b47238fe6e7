import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVerityError } from '../errors/index.ts';
import { DEFAULT_REGIMES, deadlineOf, extendedDeadline, type RegimeRules } from './deadlines.ts';

const at = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();
const { gdpr, ccpa, lgpd } = DEFAULT_REGIMES as Record<'gdpr' | 'ccpa' | 'lgpd', RegimeRules>;

describe('legal deadlines', () => {
  it('GDPR: one calendar month, to the end of the same date, or of the month when it has no such date', () => {
    assert.equal(iso(deadlineOf(gdpr, at('2026-08-05T10:00:00Z'))), '2026-09-05T23:59:59.999Z');
    assert.equal(iso(deadlineOf(gdpr, at('2026-01-31T08:00:00Z'))), '2026-02-28T23:59:59.999Z');
    assert.equal(iso(deadlineOf(gdpr, at('2028-01-31T08:00:00Z'))), '2028-02-29T23:59:59.999Z');
    assert.equal(iso(deadlineOf(gdpr, at('2026-12-15T00:00:00Z'))), '2027-01-15T23:59:59.999Z');
  });

  it('CCPA: 45 calendar days, the day of receipt the first; LGPD: 15 days after the request', () => {
    assert.equal(iso(deadlineOf(ccpa, at('2026-01-01T12:00:00Z'))), '2026-02-14T23:59:59.999Z');
    assert.equal(iso(deadlineOf(lgpd, at('2026-01-01T12:00:00Z'))), '2026-01-16T23:59:59.999Z');
  });

  it('extends as each regime allows, once, and only before the deadline', () => {
    const r = at('2026-01-31T08:00:00Z');
    const d = deadlineOf(gdpr, r);
    assert.equal(iso(extendedDeadline(gdpr, r, d, 0, r)), '2026-04-28T23:59:59.999Z');
    const refused = (f: () => unknown) =>
      assert.throws(f, (e: unknown) => isVerityError(e, 'VERITY_E_RIGHTS_EXTENSION_REFUSED'));
    refused(() => extendedDeadline(gdpr, r, d, 1, r));
    refused(() => extendedDeadline(gdpr, r, d, 0, d + 1));
    refused(() => extendedDeadline(lgpd, r, deadlineOf(lgpd, r), 0, r));
    const c = at('2026-01-01T12:00:00Z');
    // 90 days in all from receipt.
    assert.equal(iso(extendedDeadline(ccpa, c, deadlineOf(ccpa, c), 0, c)), '2026-03-31T23:59:59.999Z');
  });
});
