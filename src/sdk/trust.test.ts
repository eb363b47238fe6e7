// The trust report's rules (FGMV-46 6.2): each attribute follows its evidence, so changing one
// piece of evidence changes the attribute it feeds, and only that one.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { toBase64, utf8 } from '../encoding/index.ts';
import { TRUST_ATTRIBUTES, type TrustEvidence, trustReport, verifyProvenance } from './trust.ts';

const GOOD: TrustEvidence = {
  read: {
    ok: true,
    treeSize: 40,
    logIndex: 7,
    state: 'current',
    schema: 'avatar.profile@sha256:abc',
    lifecycle: 'stored',
    retainUntil: null,
    purpose: 'service-provision',
    creator: 'service:world',
  },
  provenance: 'verified',
  witnesses: { verified: 2, quorum: 2, configured: 3, covers: true },
  consistent: true,
  server: {
    algorithm: 'AES-256-GCM',
    kekVersion: 1,
    kekState: 'active',
    decision: { allowed: true, policyHash: 'sha256:0123456789abcdef0123', purpose: 'user-request' },
    legalBasis: 'legal-obligation',
    consent: 'unknown',
  },
  history: { verified: 12, failed: 0, aboutRecord: 4 },
  signIn: 'passkey',
  now: Date.parse('2026-01-01T00:00:00Z'),
};

const statuses = (e: TrustEvidence) => Object.fromEntries(trustReport(e).map((f) => [f.attribute, f.status]));

describe('trust report', () => {
  it('has the nine attributes in order, each with evidence; all met when all evidence holds', () => {
    const r = trustReport(GOOD);
    assert.deepEqual(
      r.map((f) => f.attribute),
      [...TRUST_ATTRIBUTES],
    );
    for (const f of r) {
      assert.equal(f.status, 'met', `${f.attribute}: ${f.evidence.join('; ')}`);
      assert.ok(f.evidence.length > 0);
    }
  });

  it('each piece of evidence moves its own attribute', () => {
    const base = statuses(GOOD);
    const changed = (e: TrustEvidence) => {
      const s = statuses(e);
      return Object.keys(s).filter((k) => s[k] !== base[k]);
    };
    assert.deepEqual(changed({ ...GOOD, provenance: 'failed' }), ['authenticity']);
    assert.deepEqual(changed({ ...GOOD, read: { ...GOOD.read, schema: 'verity:generic' } as TrustEvidence['read'] }), [
      'accuracy',
    ]);
    assert.deepEqual(changed({ ...GOOD, consistent: false }), ['reliability']);
    assert.deepEqual(changed({ ...GOOD, history: { verified: 11, failed: 1, aboutRecord: 4 } }), ['transparency']);
    assert.deepEqual(changed({ ...GOOD, witnesses: { verified: 1, quorum: 2, configured: 3, covers: true } }), [
      'transparency',
    ]);
    const s = GOOD.server as NonNullable<TrustEvidence['server']>;
    assert.deepEqual(changed({ ...GOOD, server: { ...s, kekState: 'retired' } }), ['confidentiality', 'security']);
    assert.deepEqual(changed({ ...GOOD, server: { ...s, consent: 'denied' } }), ['compliance']);
    const expired = { ...GOOD.read, retainUntil: '2025-01-01T00:00:00Z' } as TrustEvidence['read'];
    assert.deepEqual(changed({ ...GOOD, read: expired }), ['compliance']);
  });

  it('a failed read fails what rests on proofs and leaves the rest unknown, never met', () => {
    const { server: _unused, ...noServer } = GOOD;
    const s = statuses({ ...noServer, read: { ok: false, error: 'root mismatch' }, provenance: 'absent' });
    assert.equal(s['integrity'], 'failed');
    assert.equal(s['availability'], 'failed');
    for (const a of ['accuracy', 'authenticity', 'compliance', 'confidentiality', 'reliability', 'security'])
      assert.equal(s[a], 'unknown', a);
  });

  it('verifies provenance signatures over the type and the canonical data', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pub = toBase64(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12)));
    const value = toBase64(new Uint8Array(sign(null, utf8('{"data":{"a":1,"b":[2]},"type":"t"}'), privateKey)));
    const sig = { alg: 'Ed25519', publicKey: pub, value };
    // Key order does not matter: the message is RFC 8785 JSON.
    assert.equal(verifyProvenance('t', { b: [2], a: 1 }, sig), 'verified');
    assert.equal(verifyProvenance('t', { b: [3], a: 1 }, sig), 'failed');
    assert.equal(verifyProvenance('u', { b: [2], a: 1 }, sig), 'failed');
    assert.equal(verifyProvenance('t', { a: 1, b: [2] }, { ...sig, alg: 'ES256' }), 'failed');
    assert.equal(verifyProvenance('t', { a: 1, b: [2] }, { ...sig, value: 'AAAA' }), 'failed');
    assert.equal(verifyProvenance('t', { a: 1 }, undefined), 'absent');
  });
});
