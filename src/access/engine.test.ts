import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { isVerityError, VerityError } from '../errors/index.ts';
import {
  ACTIONS,
  type AccessContext,
  type Action,
  DEFAULT_POLICIES,
  PolicyEngine,
  type PrincipalRef,
  type ResourceRef,
  runPolicyTable,
} from './index.ts';
import { TABLE_SCHEMA } from './table.ts';

const TABLE = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'policies', 'default-table.json'), 'utf8'),
) as unknown;

/** Player `a` reads its own record of type `t`. */
const readOwn = (e: PolicyEngine, context: AccessContext) =>
  e.authorize(
    { kind: 'player', id: 'a', recordTypes: ['t'] },
    'read',
    { kind: 'record', id: 'r', owner: { id: 'a' }, type: 't', category: 'c', sensitivity: 'internal' },
    context,
  );

/**
 * Holds the engine as the server runs it (plans and cache) to Cedar with the whole set and every
 * input, on the policies `set` (named in order) and `requests` asked in turn.
 */
function decidesAsCedar(
  set: readonly string[],
  requests: readonly (readonly [PrincipalRef, Action, ResourceRef, AccessContext])[],
): void {
  const text = set.map((p, i) => `@id("p${i}")\n${p}`).join('\n');
  const cached = PolicyEngine.load(text);
  const plain = PolicyEngine.load(text, { reference: true });
  for (const [p, a, r, c] of requests) {
    const want = plain.authorize(p, a, r, c);
    const got = cached.authorize(p, a, r, c);
    assert.equal(got.allowed, want.allowed, `${p.kind} ${p.id} ${a} ${JSON.stringify(r)}`);
    assert.equal(got.stepUpRequired, want.stepUpRequired);
    assert.deepEqual([...got.reasons].sort(), [...want.reasons].sort());
  }
}

describe('Cedar policy engine', () => {
  it("the shipped default policies pass Cedar's strict validation (skipped at start for that exact text)", () => {
    // One character more makes the text another set, which is validated as any operator's set is.
    assert.doesNotThrow(() => PolicyEngine.load(`${DEFAULT_POLICIES}\n`));
    const broken = DEFAULT_POLICIES.replace('principal.recordTypes', 'principal.recordTypez');
    assert.notEqual(broken, DEFAULT_POLICIES);
    assert.throws(() => PolicyEngine.load(broken), /do not match Verity's schema/);
  });
  it("the decision table's schema is a valid JSON Schema in strict mode (checked here, not at every start)", () => {
    const ajv = new Ajv({ strict: true });
    assert.equal(ajv.validateSchema(TABLE_SCHEMA), true, JSON.stringify(ajv.errors));
    assert.doesNotThrow(() => ajv.compile(TABLE_SCHEMA));
    assert.equal(ajv.validateSchema({ type: 'text' }), false);
  });

  it('decides the default policy table as expected', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const results = runPolicyTable(e, TABLE);
    for (const r of results)
      assert.ok(r.pass, `${r.name}: expected ${r.expected}, got ${r.actual} ${r.errors.join('; ')}`);
    assert.equal(results.length, 72);
  });

  it('names the deciding policies and the policy set hash', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const d = readOwn(e, { purpose: 'service-provision', time: 1 });
    assert.equal(d.allowed, true);
    assert.deepEqual(d.reasons, ['player-own-records']);
    assert.match(d.policyHash, /^sha256:[A-Za-z0-9_-]{43}$/);
    const high = readOwn(e, { purpose: 'service-provision', time: 1, risk: 95 });
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
        fc.constantFrom(...ACTIONS),
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
    const d = readOwn(e, { purpose: 'service-provision', time: 1 });
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

  it('caches a decision under the inputs the applicable policies read, and forgets it on reload', () => {
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
    const ask = () =>
      e.authorize({ kind: 'player', id: 'a', recordTypes: ['t'] }, 'read', r, {
        purpose: 'service-provision',
        time: 1,
      });
    assert.equal(ask().allowed, true);
    assert.equal(ask(), ask(), 'a repeated request is answered from the cache');
    // A service's write does not depend on the record's id or owner under the default policies.
    const svc: PrincipalRef = { kind: 'service', id: 'w', recordTypes: ['t'] };
    const write = (id: string, owner: string) =>
      e.authorize(svc, 'write', { ...r, id, owner: { id: owner } }, { purpose: 'service-provision', time: 1 });
    assert.equal(write('r1', 'a'), write('r2', 'b'), 'one decision answers for every record of the type');
    // Every player reading their own record is the same request to policies that name no player.
    const own = (player: string) =>
      e.authorize(
        { kind: 'player', id: player, recordTypes: ['t'] },
        'read',
        { ...r, owner: { id: player } },
        {
          purpose: 'service-provision',
          time: 1,
        },
      );
    assert.equal(own('b'), own('c'), 'one decision answers for every player reading their own record');
    const other = e.authorize(
      { kind: 'player', id: 'c', recordTypes: ['t'] },
      'read',
      { ...r, owner: { id: 'b' } },
      {
        purpose: 'service-provision',
        time: 1,
      },
    );
    assert.equal(other.allowed, false, "another player's record is another request");
    // The operator's local path names its principal (`local:cli`): its decisions keep their ids.
    const op = (id: string) =>
      e.authorize({ kind: 'operator', id }, 'read', r, { purpose: 'service-provision', time: 1 });
    assert.notEqual(op('local:cli').allowed, op('ops').allowed);
    e.reload(`${DEFAULT_POLICIES}\n@id("lockdown")\nforbid (principal, action, resource);`);
    assert.equal(ask().allowed, false);
  });

  it('decides through its plans and cache exactly as Cedar does with the whole set and request (property)', () => {
    // Policies that read inputs in every way the key analysis must see: attributes, whole entities,
    // ids in the head, attributes reached through expressions, `has`, `is`, and the time.
    const POOL = [
      'permit (principal is Verity::Player, action, resource is Verity::Record) when { resource.owner == principal };',
      'permit (principal is Verity::Player, action == Verity::Action::"read", resource is Verity::Record) when { resource.guardians.contains(principal) };',
      'permit (principal is Verity::Service, action in [Verity::Action::"read", Verity::Action::"write"], resource is Verity::Record) when { principal.recordTypes.contains(resource.type) };',
      'permit (principal == Verity::Player::"p1", action, resource);',
      'permit (principal, action, resource == Verity::Record::"r1");',
      'forbid (principal, action, resource) when { context.risk >= 50 };',
      'forbid (principal, action == Verity::Action::"share", resource is Verity::Record) when { resource.sensitivity == "restricted" };',
      'permit (principal is Verity::Operator, action, resource) when { context.purpose == "audit" };',
      'forbid (principal, action, resource is Verity::Record) when { (if context.risk > 10 then resource else resource).category == "c1" };',
      'permit (principal, action, resource) when { principal is Verity::Service && context.consent == "granted" };',
      'forbid (principal, action, resource) when { context.time == 1 || context.time == 3 };',
      'permit (principal is Verity::Player, action == Verity::Action::"erase", resource is Verity::Record) when { resource.ownerMinor };',
      'permit (principal, action, resource is Verity::Record) when { (if context.risk > 10 then resource else resource).category == "c2" };',
      'permit (principal is Verity::Service, action, resource is Verity::Record) when { (if context.risk > 10 then principal else principal).recordTypes.contains("t2") };',
      'permit (principal is Verity::Service, action == Verity::Action::"reidentify", resource is Verity::DeidDomain) when { resource.kind == "token" && context.purpose == "audit" };',
      'permit (principal is Verity::Player, action, resource is Verity::Record) when { principal.recordTypes.contains(resource.type) };',
      'permit (principal is Verity::Service, action == Verity::Action::"revokeSession", resource is Verity::Session) when { resource.openedBy == principal };',
      // An attribute of an entity reached through another's attribute: the owner may be the principal.
      'permit (principal is Verity::Player, action == Verity::Action::"write", resource is Verity::Record) when { resource.owner.recordTypes.contains(resource.type) };',
      'permit (principal is Verity::Operator, action, resource) when { principal.capabilities.contains("c1") };',
      'forbid (principal is Verity::Service, action == Verity::Action::"openSession", resource) when { !principal.capabilities.contains("c2") };',
      'permit (principal, action == Verity::Action::"openSession", resource is Verity::Subject) when { resource.owner == Verity::Player::"p1" };',
      'forbid (principal, action, resource is Verity::Session) when { resource.owner == Verity::Player::"p2" };',
      // Step-up: a forbid that a fresh passkey lifts, and a permit that asks for one.
      'forbid (principal, action, resource) when { context.risk >= 70 && context.risk < 90 && !context.stepUp };',
      'permit (principal is Verity::Player, action == Verity::Action::"share", resource is Verity::Record) when { context.stepUp };',
    ];
    const id = fc.constantFrom('p1', 'p2', 'p3');
    const capabilities = fc.subarray(['c1', 'c2']);
    const principal: fc.Arbitrary<PrincipalRef> = fc.oneof(
      fc.record({ kind: fc.constant('player' as const), id, recordTypes: fc.subarray(['t1', 't2']) }),
      fc.record({
        kind: fc.constant('service' as const),
        id: fc.constantFrom('s1', 's2'),
        recordTypes: fc.subarray(['t1', 't2']),
        capabilities,
      }),
      fc.record({ kind: fc.constant('operator' as const), id, capabilities }),
    );
    const resource: fc.Arbitrary<ResourceRef> = fc.oneof(
      fc.record({
        kind: fc.constant('record' as const),
        id: fc.constantFrom('r1', 'r2'),
        owner: fc.record({ id, minor: fc.boolean(), guardians: fc.subarray(['p1', 'p2', 'p3']) }),
        type: fc.constantFrom('t1', 't2'),
        category: fc.constantFrom('c1', 'c2'),
        sensitivity: fc.constantFrom('internal', 'restricted'),
      }),
      id.map((x) => ({ kind: 'subject' as const, owner: { id: x } })),
      fc.record({
        kind: fc.constant('session' as const),
        id: fc.constantFrom('x1', 'x2'),
        owner: fc.record({ id }),
        openedBy: fc.constantFrom('s1', 's2'),
      }),
      fc.record({
        kind: fc.constant('deid' as const),
        id: fc.constantFrom('analytics', 'email'),
        domainKind: fc.constantFrom('pseudonym', 'token'),
      }),
      fc.constant({ kind: 'log' as const }),
    );
    const request = fc.tuple(
      principal,
      fc.constantFrom(...ACTIONS),
      resource,
      fc.record({
        purpose: fc.constantFrom('audit', 'analytics'),
        consent: fc.constantFrom('granted', 'denied', 'unknown' as const),
        time: fc.integer({ min: 0, max: 3 }),
        risk: fc.constantFrom(0, 20, 60, 75, 95),
      }),
    );
    fc.assert(
      fc.property(
        fc.subarray(POOL, { minLength: 1 }),
        fc.array(request, { minLength: 1, maxLength: 60 }),
        (set, reqs) => decidesAsCedar(set, reqs),
      ),
      { numRuns: 150 },
    );
  });

  it('caches one decision for requests whose entities are the same ones in the same places, unless a policy names an entity (property)', () => {
    // Comparisons of whole entities, an entity reached through an attribute, and entities named by id.
    const POOL = [
      'permit (principal is Verity::Player, action, resource is Verity::Record) when { resource.owner == principal };',
      'permit (principal is Verity::Player, action == Verity::Action::"read", resource is Verity::Record) when { resource.guardians.contains(principal) };',
      'permit (principal is Verity::Player, action == Verity::Action::"write", resource is Verity::Record) when { resource.owner.recordTypes.contains(resource.type) };',
      'forbid (principal, action, resource is Verity::Record) when { resource.owner == Verity::Player::"p1" };',
      'permit (principal == Verity::Player::"p2", action, resource);',
      'permit (principal is Verity::Service, action, resource is Verity::Session) when { resource.openedBy == principal };',
      'forbid (principal is Verity::Player, action == Verity::Action::"write", resource is Verity::Session) when { resource.owner == principal };',
      'permit (principal is Verity::Player, action, resource is Verity::Session) when { resource.owner == principal };',
    ];
    const id = fc.constantFrom('p1', 'p2', 'p3', 'p4');
    const request = fc.tuple(
      fc.oneof(
        fc.record({ kind: fc.constant('player' as const), id, recordTypes: fc.subarray(['t1', 't2']) }),
        fc.record({
          kind: fc.constant('service' as const),
          id: fc.constantFrom('s1', 's2'),
          recordTypes: fc.constant([]),
          capabilities: fc.constant([]),
        }),
      ) as fc.Arbitrary<PrincipalRef>,
      fc.constantFrom('read' as const, 'write' as const),
      fc.oneof(
        fc.record({
          kind: fc.constant('record' as const),
          id: fc.constantFrom('r1', 'r2'),
          owner: fc.record({ id, minor: fc.constant(true), guardians: fc.subarray(['p1', 'p2', 'p3', 'p4']) }),
          type: fc.constantFrom('t1', 't2'),
          category: fc.constant('c1'),
          sensitivity: fc.constant('internal'),
        }),
        fc.record({
          kind: fc.constant('session' as const),
          id: fc.constantFrom('x1', 'x2'),
          owner: fc.record({ id }),
          openedBy: fc.constantFrom('s1', 's2'),
        }),
      ) as fc.Arbitrary<ResourceRef>,
    );
    const context = { purpose: 'audit', consent: 'unknown' as const, time: 0 };
    fc.assert(
      fc.property(
        fc.subarray(POOL, { minLength: 1 }),
        fc.array(request, { minLength: 20, maxLength: 120 }),
        (set, reqs) =>
          decidesAsCedar(
            set,
            reqs.map(([p, a, r]) => [p, a, r, context] as const),
          ),
      ),
      { numRuns: 200 },
    );
  });
});
