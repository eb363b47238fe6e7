// Risk in the policies: a low score is allowed, a high one (>= 70) needs a step-up (a fresh passkey
// assertion), a very high one (>= 90) is denied whatever the step-up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpStatusOf } from '../codes/index.ts';
import { isVerityError } from '../errors/index.ts';
import {
  DEFAULT_POLICIES,
  enforceDecision,
  PolicyEngine,
  type PrincipalRef,
  type ResourceRef,
  runPolicyTable,
} from './index.ts';

const alice: PrincipalRef = { kind: 'player', id: 'alice', recordTypes: ['avatar.profile'] };
const record: ResourceRef = {
  kind: 'record',
  id: 'r1',
  owner: { id: 'alice' },
  type: 'avatar.profile',
  category: 'profile',
  sensitivity: 'confidential',
};

describe('risk and step-up in the policies', () => {
  for (const reference of [false, true]) {
    const e = PolicyEngine.load(DEFAULT_POLICIES, { reference });
    const decide = (risk: number, stepUp?: boolean) =>
      e.authorize(alice, 'read', record, {
        purpose: 'service-provision',
        time: 1,
        risk,
        ...(stepUp === undefined ? {} : { stepUp }),
      });

    it(`low risk allows; high risk asks for a step-up; very high denies${reference ? ' (reference mode)' : ''}`, () => {
      for (const risk of [0, 30, 69]) {
        const d = decide(risk);
        assert.deepEqual([d.allowed, d.stepUpRequired], [true, false], String(risk));
      }
      for (const risk of [70, 80, 89]) {
        const d = decide(risk);
        assert.deepEqual([d.allowed, d.stepUpRequired, d.reasons], [false, true, ['step-up-high-risk']], String(risk));
        const fresh = decide(risk, true);
        assert.deepEqual([fresh.allowed, fresh.stepUpRequired], [true, false], String(risk));
      }
      for (const risk of [90, 100]) {
        for (const stepUp of [false, true]) {
          const d = decide(risk, stepUp);
          assert.deepEqual([d.allowed, d.stepUpRequired], [false, false], `${risk} ${stepUp}`);
          assert.ok(d.reasons.includes('deny-high-risk'));
        }
      }
    });
  }

  it('a step-up never turns a deny for another reason into a step-up request', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const stranger: PrincipalRef = { kind: 'player', id: 'mallory', recordTypes: ['avatar.profile'] };
    const d = e.authorize(stranger, 'read', record, { purpose: 'service-provision', time: 1, risk: 75 });
    assert.deepEqual([d.allowed, d.stepUpRequired], [false, false]);
  });

  it('enforceDecision: VERITY_E_STEP_UP_REQUIRED (401) for a step-up, VERITY_E_ACCESS_DENIED (403) otherwise', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const at = (risk: number) => e.authorize(alice, 'read', record, { purpose: 'service-provision', time: 1, risk });
    enforceDecision(at(10), 'denied');
    assert.throws(
      () => enforceDecision(at(75), 'denied'),
      (x) => isVerityError(x, 'VERITY_E_STEP_UP_REQUIRED') && /passkey/.test((x as Error).message),
    );
    assert.throws(
      () => enforceDecision(at(95), 'denied'),
      (x) => isVerityError(x, 'VERITY_E_ACCESS_DENIED'),
    );
    assert.equal(httpStatusOf('VERITY_E_STEP_UP_REQUIRED'), 401);
    assert.equal(httpStatusOf('VERITY_E_ACCESS_DENIED'), 403);
  });

  it('thresholds are the policy text: a set that asks for a step-up from 40', () => {
    const e = PolicyEngine.load(
      DEFAULT_POLICIES.replace('context.risk >= 70 && context.risk < 90', 'context.risk >= 40 && context.risk < 90'),
    );
    const d = e.authorize(alice, 'read', record, { purpose: 'service-provision', time: 1, risk: 45 });
    assert.equal(d.stepUpRequired, true);
  });

  it('policy tables say step-up, and refuse a stepUp that is not a boolean', () => {
    const e = PolicyEngine.load(DEFAULT_POLICIES);
    const row = (risk: number, expect: string, stepUp?: boolean) => ({
      principal: alice,
      action: 'read',
      resource: record,
      context: { purpose: 'service-provision', risk, ...(stepUp === undefined ? {} : { stepUp }) },
      expect,
    });
    const results = runPolicyTable(e, [
      row(10, 'allow'),
      row(75, 'step-up'),
      row(75, 'allow', true),
      row(95, 'deny', true),
    ]);
    for (const r of results) assert.ok(r.pass, `${r.name}: ${r.expected} != ${r.actual}`);
    assert.throws(
      () => runPolicyTable(e, [{ ...row(75, 'allow'), context: { purpose: 'x', stepUp: 'yes' } }]),
      (x) => isVerityError(x, 'VERITY_E_INPUT_INVALID'),
    );
    assert.throws(
      () => e.authorize(alice, 'read', record, { purpose: 'x', time: 1, stepUp: 'yes' as unknown as boolean }),
      (x) => isVerityError(x, 'VERITY_E_INPUT_INVALID'),
    );
  });
});
