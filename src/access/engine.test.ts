import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVerityError, VerityError } from '../errors/index.ts';
import { DEFAULT_POLICIES, PolicyEngine, type PrincipalRef, type ResourceRef, runPolicyTable } from './index.ts';

const TABLE = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'policies', 'default-table.json'), 'utf8'),
) as unknown;

describe('Cedar policy engine', () => {
  it('decides the default policy table as expected', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const results = runPolicyTable(e, TABLE);
    for (const r of results)
      assert.ok(r.pass, `${r.name}: expected ${r.expected}, got ${r.actual} ${r.errors.join('; ')}`);
    assert.equal(results.length, 16);
  });

  it('names the deciding policies and the policy set hash', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const d = e.authorize(
      { kind: 'player', id: 'a' },
      'read',
      { kind: 'record', id: 'r', owner: { id: 'a' }, type: 't', category: 'c', sensitivity: 'internal' },
      { purpose: 'service-provision', time: 1 },
    );
    assert.equal(d.allowed, true);
    assert.deepEqual(d.reasons, ['player-own-records']);
    assert.match(d.policyHash, /^sha256:[A-Za-z0-9_-]{43}$/);
    const high = e.authorize(
      { kind: 'player', id: 'a' },
      'read',
      { kind: 'record', id: 'r', owner: { id: 'a' }, type: 't', category: 'c', sensitivity: 'internal' },
      { purpose: 'service-provision', time: 1, risk: 95 },
    );
    assert.deepEqual([high.allowed, high.reasons], [false, ['deny-high-risk']]);
  });

  it('denies everything when no policy permits (default deny)', () => {
    const e = PolicyEngine.load('');
    const principals: PrincipalRef[] = [
      { kind: 'player', id: 'p' },
      { kind: 'service', id: 's', recordTypes: ['t'] },
      { kind: 'operator', id: 'o' },
      { kind: 'auditor', id: 'a' },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...principals),
        fc.constantFrom('read', 'write', 'share', 'erase', 'administer' as const),
        fc.string({ minLength: 1, maxLength: 20 }),
        (p, a, purpose) => {
          const r: ResourceRef = {
            kind: 'record',
            id: 'r',
            owner: { id: 'p' },
            type: 't',
            category: 'c',
            sensitivity: 'public',
          };
          assert.equal(e.authorize(p, a, r, { purpose, time: 0 }).allowed, false);
        },
      ),
    );
  });

  it('refuses invalid policies and keeps the last good set', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const hash = e.policyHash;
    for (const bad of [
      'permit(principal, action, resource',
      'permit(principal, action, resource is Verity::Record) when { resource.nonexistent == 1 };',
      'permit(principal is Verity::Nobody, action, resource);',
    ]) {
      assert.throws(
        () => e.reload(bad),
        (x) => isVerityError(x, 'VERITY_E_POLICY_INVALID'),
        bad,
      );
      assert.equal(e.policyHash, hash);
    }
    const d = e.authorize(
      { kind: 'player', id: 'a' },
      'read',
      { kind: 'record', id: 'r', owner: { id: 'a' }, type: 't', category: 'c', sensitivity: 'internal' },
      { purpose: 'service-provision', time: 1 },
    );
    assert.equal(d.allowed, true);
    e.reload('forbid(principal, action, resource);');
    assert.notEqual(e.policyHash, hash);
    assert.equal(
      e.authorize(
        { kind: 'player', id: 'a' },
        'read',
        { kind: 'record', id: 'r', owner: { id: 'a' }, type: 't', category: 'c', sensitivity: 'internal' },
        { purpose: 'service-provision', time: 1 },
      ).allowed,
      false,
    );
  });

  it('refuses malformed tables and requests with typed errors', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    for (const bad of [{}, [{ principal: { kind: 'god', id: 'x' } }], [{ ...(TABLE as object[])[0], extra: 1 }]]) {
      assert.throws(
        () => runPolicyTable(e, bad),
        (x) => isVerityError(x, 'VERITY_E_INPUT_INVALID'),
      );
    }
    assert.throws(
      () => e.authorize({ kind: 'player', id: '' }, 'read', { kind: 'log' }, { purpose: 'x', time: 0 }),
      VerityError,
    );
    assert.throws(
      () => e.authorize({ kind: 'player', id: 'a' }, 'fly' as never, { kind: 'log' }, { purpose: 'x', time: 0 }),
      VerityError,
    );
    assert.throws(
      () => e.authorize({ kind: 'player', id: 'a' }, 'read', { kind: 'log' }, { purpose: 'x', time: 0, risk: 101 }),
      VerityError,
    );
  });

  it('caches decisions only while no policy reads the time, and forgets them on reload', () => {
    const r: ResourceRef = {
      kind: 'record',
      id: 'r',
      owner: { id: 'a' },
      type: 't',
      category: 'c',
      sensitivity: 'internal',
    };
    const timed = PolicyEngine.load('permit(principal, action, resource) when { context.time < 1000 };');
    assert.equal(timed.authorize({ kind: 'player', id: 'a' }, 'read', r, { purpose: 'x', time: 0 }).allowed, true);
    assert.equal(timed.authorize({ kind: 'player', id: 'a' }, 'read', r, { purpose: 'x', time: 2000 }).allowed, false);
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const ask = () => e.authorize({ kind: 'player', id: 'a' }, 'read', r, { purpose: 'service-provision', time: 1 });
    assert.equal(ask().allowed, true);
    assert.equal(ask(), ask(), 'a repeated request is answered from the cache');
    e.reload(`${DEFAULT_POLICIES}\n@id("lockdown")\nforbid (principal, action, resource);`);
    assert.equal(ask().allowed, false);
  });
});
