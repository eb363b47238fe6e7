// The governance capability on a real store and log with a fake clock: the document's rights per
// role, the recount of a tally and its refusal of any altered evidence (property), the per-proposal
// voter pseudonyms, and feedback kept out of the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { makeCore, type TestCore } from '../../test/helpers/core.ts';
import { fixedClock } from '../clock/index.ts';
import { isVerityError } from '../errors/index.ts';
import { DEFAULT_PRIVACY_POLICY, Privacy, PrivacyPolicy } from '../privacy/index.ts';
import { type TallyEvidence, verifyTally } from '../tally/index.ts';
import { DEFAULT_GOVERNANCE, governanceDocument, governanceHash, ROLES, rolesWith } from './document.ts';
import { Governance } from './governance.ts';

const HOUR = 3_600_000;
const op = { actor: 'operator:test', role: 'operator' as const };

describe('governance', () => {
  const clock = fixedClock(Date.parse('2026-08-01T00:00:00Z'));
  let core: TestCore;
  let g: Governance;
  let evidence: TallyEvidence;
  let first = '';
  const voteAs = async (id: string, name: string, choice: 'yes' | 'no' | 'abstain') =>
    g.vote(
      id,
      choice,
      { kind: 'session', subjectRef: await core.vault.subjectRef(name), method: 'passkey', actor: 'player:s' },
      'player:s',
    );

  before(async () => {
    core = await makeCore('sqlite', { clock });
    const privacy = await Privacy.open({
      store: core.store,
      log: core.log,
      policy: PrivacyPolicy.parse(DEFAULT_PRIVACY_POLICY),
      clock,
    });
    g = new Governance({
      store: core.store,
      log: core.log,
      keys: core.keys,
      privacy,
      clock,
      document: governanceDocument({ votingPeriodMs: HOUR, timelockMs: HOUR, quorum: 2 }),
    });
    const p = await g.propose(
      { title: 't', rationale: 'r', policy: { ...DEFAULT_PRIVACY_POLICY, version: '2.0.0' } },
      op,
    );
    first = p.id;
    await voteAs(p.id, 'a', 'yes');
    await voteAs(p.id, 'b', 'no');
    await voteAs(p.id, 'c', 'yes');
    clock.advance(HOUR);
    await g.close(p.id, op);
    evidence = await g.evidence(p.id);
  });
  after(() => core?.dispose());

  it('gives each role the rights of the document, and hashes the document', () => {
    assert.deepEqual(rolesWith(DEFAULT_GOVERNANCE, 'vote'), ['player', 'creator']);
    assert.deepEqual(rolesWith(DEFAULT_GOVERNANCE, 'enact'), ['operator']);
    for (const r of ROLES) assert.ok(DEFAULT_GOVERNANCE.roles[r].rights.includes('feedback'));
    assert.notEqual(governanceHash(DEFAULT_GOVERNANCE), governanceHash(governanceDocument({ timelockMs: 1 })));
    assert.throws(() => governanceDocument({ majority: 1 }), RangeError);
    assert.throws(() => governanceDocument({ quorum: 0 }), RangeError);
  });

  it('recounts the tally from the evidence', () => {
    const t = verifyTally(evidence, core.log.verifierKey);
    assert.deepEqual([t.yes, t.no, t.abstain, t.outcome], [2, 1, 0, 'adopted']);
  });

  it('refuses evidence with a part missing or out of range with its own code, never a TypeError', () => {
    const invalid = (e: unknown) => isVerityError(e, 'VERITY_E_GOVERNANCE_TALLY_INVALID');
    const { proposed: _p, ...noProposal } = evidence;
    assert.throws(() => verifyTally(noProposal as unknown as TallyEvidence, core.log.verifierKey), invalid);
    assert.throws(
      () => verifyTally({ ...evidence, votes: [null] } as unknown as TallyEvidence, core.log.verifierKey),
      invalid,
    );
    const far = { ...evidence, tally: { ...evidence.tally, index: 10 ** 12 } };
    assert.throws(() => verifyTally(far as TallyEvidence, core.log.verifierKey), invalid);
  });

  it('refuses evidence with any one character changed (property)', () => {
    const text = JSON.stringify(evidence);
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 94 }), (at, delta) => {
        const c = text.charCodeAt(at);
        const changed = `${text.slice(0, at)}${String.fromCharCode(32 + ((c - 32 + delta) % 95))}${text.slice(at + 1)}`;
        let parsed: unknown;
        try {
          parsed = JSON.parse(changed);
        } catch {
          return true; // not JSON any more: nothing to verify
        }
        if (JSON.stringify(parsed) === text) return true; // the same document (white space)
        try {
          verifyTally(parsed as TallyEvidence, core.log.verifierKey);
        } catch (e) {
          return isVerityError(e, 'VERITY_E_GOVERNANCE_TALLY_INVALID');
        }
        return false;
      }),
      { numRuns: 300 },
    );
  });

  it('names voters by pseudonyms that differ between proposals', async () => {
    const p = await g.propose(
      { title: 't2', rationale: 'r', policy: { ...DEFAULT_PRIVACY_POLICY, version: '2.0.1' } },
      op,
    );
    const again = await voteAs(p.id, 'a', 'yes');
    const before = JSON.parse(
      new TextDecoder().decode(
        (await core.log.entries(evidence.votes[0]?.index ?? 0, (evidence.votes[0]?.index ?? 0) + 1))[0],
      ),
    ) as { details: { voter: string } };
    assert.notEqual(again.voter, before.details.voter);
    await assert.rejects(voteAs(p.id, 'a', 'no'), (e: unknown) =>
      isVerityError(e, 'VERITY_E_GOVERNANCE_ALREADY_VOTED'),
    );
    await assert.rejects(
      g.vote(p.id, 'yes', { kind: 'session', subjectRef: 'A'.repeat(43), method: 'oidc', actor: 'x' }, 'x'),
      (e: unknown) => isVerityError(e, 'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED'),
    );
    await assert.rejects(g.vote(p.id, 'yes', { kind: 'credential', presentation: 'x~' }, 'x'), (e: unknown) =>
      isVerityError(e, 'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED'),
    );
  });

  it('below the quorum a proposal is rejected; tick closes and enacts what is due', async () => {
    const p = await g.propose(
      { title: 't3', rationale: 'r', policy: { ...DEFAULT_PRIVACY_POLICY, version: '2.0.2' } },
      op,
    );
    await voteAs(p.id, 'a', 'yes');
    clock.advance(HOUR);
    const done = await g.tick();
    assert.ok(done.closed.includes(p.id));
    assert.equal((await g.get(p.id)).status, 'rejected');
    assert.ok(done.enacted.includes(first) || (await g.get(first)).status === 'enacted');
    assert.equal((await g.get(first)).status, 'enacted');
  });

  it('keeps feedback text out of the log', async () => {
    const f = await g.feedback(
      { topic: 'marketing', text: 'a secret complaint' },
      { actor: 'player:s', role: 'player' },
    );
    const [entry] = await core.log.entries(f.logIndex, f.logIndex + 1);
    const text = new TextDecoder().decode(entry);
    assert.doesNotMatch(text, /secret complaint/);
    assert.match(text, /"contentHash":"sha256:/);
    assert.equal((await g.feedbackList()).at(-1)?.text, 'a secret complaint');
    await assert.rejects(g.feedback({ topic: 'Not A Topic', text: 'x' }, op), (e: unknown) =>
      isVerityError(e, 'VERITY_E_INPUT_INVALID'),
    );
  });
});
