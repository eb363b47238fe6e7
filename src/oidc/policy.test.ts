// Who may manage the identity providers players sign in with, under the default policies: only a
// token granted `issuer.manage` (an operator or a service), for administration; no role implies it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_POLICIES, type PolicyCase, PolicyEngine, runPolicyTable } from '../access/index.ts';

const issuer = { kind: 'issuer', id: 'acme' } as const;
const admin = { purpose: 'administration' };

const CASES: PolicyCase[] = [
  {
    name: 'an operator granted issuer.manage',
    principal: { kind: 'operator', id: 'id', capabilities: ['issuer.manage'] },
    action: 'manageIssuers',
    resource: issuer,
    context: admin,
    expect: 'allow',
  },
  {
    name: 'a service granted issuer.manage',
    principal: { kind: 'service', id: 'platform', recordTypes: [], capabilities: ['issuer.manage'] },
    action: 'manageIssuers',
    resource: issuer,
    context: admin,
    expect: 'allow',
  },
  {
    name: 'an operator without it',
    principal: { kind: 'operator', id: 'ops' },
    action: 'manageIssuers',
    resource: issuer,
    context: admin,
    expect: 'deny',
  },
  {
    name: 'an operator with other capabilities',
    principal: { kind: 'operator', id: 'ops', capabilities: ['session.revoke'] },
    action: 'manageIssuers',
    resource: issuer,
    context: admin,
    expect: 'deny',
  },
  {
    name: 'a service that opens sessions',
    principal: { kind: 'service', id: 'p', recordTypes: ['profile'], capabilities: ['session.open'] },
    action: 'manageIssuers',
    resource: issuer,
    context: admin,
    expect: 'deny',
  },
  {
    name: 'an auditor',
    principal: { kind: 'auditor', id: 'a', capabilities: ['issuer.manage'] },
    action: 'manageIssuers',
    resource: issuer,
    context: admin,
    expect: 'deny',
  },
  {
    name: 'a player',
    principal: { kind: 'player', id: 'alice', recordTypes: ['profile'] },
    action: 'manageIssuers',
    resource: issuer,
    context: admin,
    expect: 'deny',
  },
  {
    name: 'for another purpose',
    principal: { kind: 'operator', id: 'id', capabilities: ['issuer.manage'] },
    action: 'manageIssuers',
    resource: issuer,
    context: { purpose: 'support' },
    expect: 'deny',
  },
  {
    name: 'at high risk',
    principal: { kind: 'operator', id: 'id', capabilities: ['issuer.manage'] },
    action: 'manageIssuers',
    resource: issuer,
    context: { purpose: 'administration', risk: 90 },
    expect: 'deny',
  },
];

describe('managing identity providers under the default policies', () => {
  it('needs issuer.manage, for administration', () => {
    const results = runPolicyTable(PolicyEngine.load(DEFAULT_POLICIES), CASES);
    for (const r of results)
      assert.ok(r.pass, `${r.name}: expected ${r.expected}, got ${r.actual} ${r.errors.join('; ')}`);
    assert.equal(results.length, CASES.length);
  });

  it('the operators’ `administer` does not reach it', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const ops = { kind: 'operator', id: 'ops' } as const;
    assert.equal(e.authorize(ops, 'administer', { kind: 'log' }, { purpose: 'administration', time: 1 }).allowed, true);
    assert.equal(e.authorize(ops, 'manageIssuers', issuer, { purpose: 'administration', time: 1 }).allowed, false);
  });
});
