// Community governance (FGMV-46 7.4.3 user participation and feedback, 7.4.5 ecosystem
// governance): feedback on the data policies, proposals to change the privacy policy, votes of
// verified persons (one person, one vote), tallies anyone can recount from the log, a timelock
// before an adopted change takes effect, and the change enacted as a new privacy policy version.
// Every step is a state object written in the same log transaction as its audit entry; people
// appear in the log only as per-proposal voter pseudonyms or session ids, never by name or reference.

import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { randomBytesSecure, toBase64Url, utf8 } from '../encoding/index.ts';
import { GovernanceError, InputError, isVerityError, quote } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { sha256 } from '../platform/index.ts';
import { type Privacy, PrivacyPolicy } from '../privacy/index.ts';
import { newObject, type Store } from '../store/index.ts';
import { CHOICES, type Choice, type TallyEvidence, votesHash } from '../tally/index.ts';
import type { Credentials, PresentationVerifier } from '../vc/index.ts';
import { DEFAULT_GOVERNANCE, type GovernanceDocument, governanceHash, type Role, requireRight } from './document.ts';
import { tallyEvidence } from './evidence.ts';
import { FeedbackBook } from './feedback.ts';
import {
  checkProposalId,
  checkVotingOpen,
  type Feedback,
  type GovernanceAccess,
  HOLDER_KIND,
  isConflict,
  PAGE,
  PROPOSAL_KIND,
  type Proposal,
  type ProposalStatus,
  PURPOSE,
  text,
  VOTE_KIND,
  type VoterProof,
} from './model.ts';
import { ProposalBook } from './proposals.ts';
import { Voters } from './voters.ts';

/**
 * Community governance over the store, the log and the privacy policy.
 *
 * @example
 * ```ts
 * const gov = new Governance({ store, log, keys, privacy, clock });
 * const p = await gov.propose({ title, rationale, policy: newPolicyDocument }, { actor: 'service:partner', role: 'partner' });
 * await gov.vote(p.id, 'yes', { kind: 'session', subjectRef, method: 'passkey', actor });
 * // after the voting period: close (tally), after the timelock: enact
 * ```
 */
export class Governance {
  readonly #log: TransparencyLog;
  readonly #privacy: Privacy;
  readonly #clock: Clock;
  readonly #doc: GovernanceDocument;
  readonly #docHash: string;
  readonly #voters: Voters;
  readonly #book: ProposalBook;
  readonly #feedback: FeedbackBook;

  constructor(o: {
    store: Store;
    log: TransparencyLog;
    keys: KeyStore;
    privacy: Privacy;
    clock?: Clock;
    document?: GovernanceDocument;
    /** Membership credentials as voter proofs (without it, only passkey sessions vote). */
    credentials?: { verifier: PresentationVerifier; issued?: Credentials; audience?: string };
  }) {
    this.#log = o.log;
    this.#privacy = o.privacy;
    this.#clock = o.clock ?? systemClock;
    this.#doc = o.document ?? DEFAULT_GOVERNANCE;
    this.#docHash = governanceHash(this.#doc);
    const { store, log, privacy } = o;
    const clock = this.#clock;
    this.#voters = new Voters({ store, keys: o.keys, clock, credentials: o.credentials });
    this.#book = new ProposalBook(store, log, clock);
    this.#feedback = new FeedbackBook({ store, log, privacy, clock, document: this.#doc });
  }

  /** The governance document in force, with its hash. */
  get document(): GovernanceDocument & { readonly hash: string } {
    return { ...this.#doc, hash: this.#docHash };
  }

  /**
   * The role a player speaks in: `creator` when they hold a valid, unexpired verified-creator
   * credential Verity issued (read from its state), else `player`.
   */
  playerRole(subjectRef: string): Promise<Role> {
    return this.#voters.playerRole(subjectRef);
  }

  /**
   * The privacy policy in force (what a proposal would change): its version, hash and document, and
   * the log entry that put it in force with the proposal that enacted it, when one did.
   */
  async policyInForce(): Promise<{
    version: string;
    hash: string;
    document: object;
    logIndex: number | null;
    enactedBy: string | null;
  }> {
    const p = this.#privacy.policy;
    const pointer = await this.#privacy.inForce();
    return {
      version: p.version,
      hash: p.hash,
      document: JSON.parse(p.canonical) as object,
      logIndex: pointer?.hash === p.hash ? pointer.logIndex : null,
      enactedBy: pointer?.hash === p.hash ? (pointer.enactedBy ?? null) : null,
    };
  }

  // --- feedback ------------------------------------------------------------------------------

  /** Records feedback on the data policies (the text stays in the state; the log holds a salted commitment). */
  feedback(input: { topic: string; text: string }, access: GovernanceAccess): Promise<Feedback> {
    return this.#feedback.feedback(input, access);
  }

  /** Feedback entries by id (paged by `after`). */
  feedbackList(o: { limit?: number; after?: string } = {}): Promise<Feedback[]> {
    return this.#feedback.feedbackList(o);
  }

  // --- proposals -----------------------------------------------------------------------------

  /**
   * Proposes a new privacy policy version: checked in full now (its JSON Schema and references,
   * and that its version is new), so that what is voted on can be enacted as it stands.
   */
  async propose(
    input: { title: string; rationale: string; policy: unknown },
    access: GovernanceAccess,
  ): Promise<Proposal> {
    requireRight(this.#doc, access.role, 'propose');
    const title = text(input.title, 'the title', 200);
    const rationale = text(input.rationale, 'the rationale', 4000);
    const policy = PrivacyPolicy.parse(input.policy);
    if ((await this.#privacy.installedDocument(policy.version)) !== undefined)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_STATE',
        `privacy policy version ${quote(policy.version)} is installed already; propose the change under a new version`,
      );
    const id = `gp_${toBase64Url(randomBytesSecure(16))}`;
    const now = this.#clock.now();
    const d = this.#doc;
    const proposal: Omit<Proposal, 'logIndices'> = {
      id,
      title,
      rationale,
      change: { kind: 'privacy-policy', version: policy.version, hash: policy.hash },
      proposedAs: access.role,
      governance: { version: d.version, hash: this.#docHash },
      status: 'open',
      createdAt: now,
      closesAt: now + d.votingPeriodMs,
      quorum: d.quorum,
      majority: d.majority,
      timelockMs: d.timelockMs,
      tally: null,
      enactAfter: null,
      cancelled: null,
      enacted: null,
      updatedAt: now,
    };
    return this.#book.write(undefined, proposal, access.actor, 'governance.propose', {
      details: {
        role: access.role,
        kind: 'privacy-policy',
        policyVersion: policy.version,
        closesAt: proposal.closesAt,
        governance: this.#docHash,
      },
      contentHash: policy.hash,
      // The document is its own object: votes read the proposal, which stays small.
      document: policy.canonical,
    });
  }

  /**
   * Casts a vote: one per person per proposal, not changed afterwards. The log entry names the
   * voter by a per-proposal pseudonym and the choice (ballots are public by pseudonym, D119).
   */
  async vote(
    proposalId: string,
    choice: Choice,
    proof: VoterProof,
    actor: string,
  ): Promise<{ proposal: string; voter: string; choice: Choice; logIndex: number }> {
    const id = checkProposalId(proposalId);
    if (!(CHOICES as readonly string[]).includes(choice))
      throw new InputError('VERITY_E_INPUT_INVALID', `a vote is one of ${CHOICES.join(', ')}`);
    const p = (await this.#book.load(id)).proposal;
    try {
      return await this.#cast(id, p, choice, proof, actor);
    } catch (e) {
      if (isVerityError(e)) await this.refusedVote(id, actor, e.code);
      throw e;
    }
  }

  /**
   * Logs a refused vote on proposal `id` as the denial it is (D433): who asked (the session, a token,
   * or `holder:membership`) and the refusal's code, never a voter's pseudonym or a choice.
   */
  async refusedVote(id: string, actor: string, code: string): Promise<void> {
    await this.#log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          actor,
          action: 'governance.vote',
          resource: `governance-proposal:${checkProposalId(id)}`,
          purpose: PURPOSE,
          outcome: 'denied',
          time: this.#clock.now(),
          details: { reason: code },
        }),
      ),
    );
  }

  async #cast(
    id: string,
    p: Proposal,
    choice: Choice,
    proof: VoterProof,
    actor: string,
  ): Promise<{ proposal: string; voter: string; choice: Choice; logIndex: number }> {
    checkVotingOpen(p, this.#clock.now());
    const person = await this.#voters.person(id, choice, proof);
    requireRight(this.#doc, person.role, 'vote');
    const voter = await this.#voters.pseudonym(id, person.key);
    const holder =
      person.holder === undefined ? undefined : await this.#voters.pseudonym(id, `holder:${person.holder}`);
    const { result } = await this.#log.submit(async (tx, batch) => {
      const now = this.#clock.now();
      const row = await tx.getObject(PROPOSAL_KIND, id);
      if (row === undefined) throw new GovernanceError('VERITY_E_GOVERNANCE_NOT_FOUND', `there is no proposal ${id}`);
      checkVotingOpen(JSON.parse(row.body) as Proposal, now);
      if ((await tx.getObject(VOTE_KIND, `${id}/${voter}`)) !== undefined)
        throw new GovernanceError(
          'VERITY_E_GOVERNANCE_ALREADY_VOTED',
          'this person has voted on this proposal already; a vote is not changed',
        );
      if (holder !== undefined) {
        if ((await tx.getObject(HOLDER_KIND, `${id}/${holder}`)) !== undefined)
          throw new GovernanceError(
            'VERITY_E_GOVERNANCE_ALREADY_VOTED',
            'a credential bound to this key has voted on this proposal already: one vote per holder key',
          );
        await tx.putObject(
          newObject({ kind: HOLDER_KIND, id: `${id}/${holder}`, owner: id, doc: { at: now }, updatedAt: now }),
        );
      }
      const logIndex = batch.add(
        encodeAuditEntry({
          actor,
          action: 'governance.vote',
          resource: `governance-proposal:${id}`,
          purpose: PURPOSE,
          outcome: 'success',
          time: now,
          details: { voter, choice, via: person.via, role: person.role },
        }),
      );
      await tx.putObject(
        newObject({
          kind: VOTE_KIND,
          id: `${id}/${voter}`,
          owner: id,
          doc: { proposal: id, voter, choice, via: person.via, at: now, logIndex },
          updatedAt: now,
        }),
      );
      return { proposal: id, voter, choice, logIndex };
    });
    return result;
  }

  /** The privacy policy document a proposal would enact (RFC 8785 JSON). */
  change(id: string): Promise<string> {
    return this.#book.change(id);
  }

  /** One proposal. */
  async get(id: string): Promise<Proposal> {
    return (await this.#book.load(id)).proposal;
  }

  /** Proposals by id (`status` to filter). */
  list(o: { status?: ProposalStatus; limit?: number; after?: string } = {}): Promise<Proposal[]> {
    return this.#book.list(o);
  }

  /**
   * Closes voting once the period is over and publishes the tally (counts, and the hash of the
   * set of vote entries): adopted when the quorum was reached and yes is more than the majority
   * of yes and no; an adopted proposal then waits out its timelock.
   */
  async close(id: string, access: GovernanceAccess): Promise<Proposal> {
    requireRight(this.#doc, access.role, 'close');
    const { row, proposal } = await this.#book.load(id);
    const now = this.#clock.now();
    if (proposal.status !== 'open')
      throw new GovernanceError('VERITY_E_GOVERNANCE_STATE', `proposal ${proposal.id} is ${proposal.status}, not open`);
    if (now < proposal.closesAt)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_STATE',
        `voting on ${proposal.id} is open until ${new Date(proposal.closesAt).toISOString()}`,
      );
    const votes = await this.#book.votes(proposal.id);
    const yes = votes.filter((v) => v.choice === 'yes').length;
    const no = votes.filter((v) => v.choice === 'no').length;
    const abstain = votes.length - yes - no;
    const adopted = votes.length >= proposal.quorum && yes + no > 0 && yes / (yes + no) > proposal.majority;
    const hash = votesHash(votes.map((v) => v.logIndex));
    return this.#book.write(
      row,
      {
        ...proposal,
        status: adopted ? 'adopted' : 'rejected',
        enactAfter: adopted ? now + proposal.timelockMs : null,
        updatedAt: now,
      },
      access.actor,
      'governance.tally',
      {
        details: {
          yes,
          no,
          abstain,
          votes: votes.length,
          outcome: adopted ? 'adopted' : 'rejected',
          quorum: proposal.quorum,
        },
        contentHash: hash,
        tally: (logIndex) => ({ yes, no, abstain, votesHash: hash, logIndex }),
      },
    );
  }

  /** Cancels an adopted proposal during its timelock, with a reason (kept in the state; its hash logged). */
  async cancel(id: string, reason: string, access: GovernanceAccess): Promise<Proposal> {
    requireRight(this.#doc, access.role, 'cancel');
    const why = text(reason, 'the reason', 2000);
    const { row, proposal } = await this.#book.load(id);
    const now = this.#clock.now();
    if (proposal.status !== 'adopted' || proposal.enactAfter === null || now >= proposal.enactAfter)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_STATE',
        `proposal ${proposal.id} can be cancelled only while adopted and in its timelock (it is ${proposal.status})`,
      );
    return this.#book.write(
      row,
      { ...proposal, status: 'cancelled', cancelled: { at: now, reason: why }, updatedAt: now },
      access.actor,
      'governance.cancel',
      {
        details: { role: access.role },
        contentHash: `sha256:${toBase64Url(sha256(utf8(why)))}`,
      },
    );
  }

  /**
   * Enacts an adopted proposal once its timelock is over: the privacy policy version it carries is
   * installed and put in force, and the proposal marked enacted, in one transaction with both
   * entries (`privacy.policy` naming the proposal, then `governance.enact`).
   */
  async enact(id: string, access: GovernanceAccess): Promise<Proposal> {
    requireRight(this.#doc, access.role, 'enact');
    const { proposal } = await this.#book.load(id);
    const now = this.#clock.now();
    if (proposal.status !== 'adopted' || proposal.enactAfter === null)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_STATE',
        `proposal ${proposal.id} is ${proposal.status}; only an adopted proposal is enacted`,
      );
    if (now < proposal.enactAfter)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_TIMELOCK',
        `proposal ${proposal.id} is in its timelock until ${new Date(proposal.enactAfter).toISOString()}`,
      );
    const policy = PrivacyPolicy.parse(await this.change(proposal.id));
    if (policy.hash !== proposal.change.hash)
      throw new GovernanceError('VERITY_E_GOVERNANCE_STATE', 'the proposal’s document does not match its hash');
    let out: Proposal | undefined;
    await this.#privacy.enact(
      policy,
      { actor: access.actor, proposal: proposal.id },
      async (tx, batch, policyLogIndex) => {
        const row = await tx.getObject(PROPOSAL_KIND, proposal.id);
        const cur = row === undefined ? undefined : (JSON.parse(row.body) as Proposal);
        if (row === undefined || cur?.status !== 'adopted')
          throw new GovernanceError(
            'VERITY_E_GOVERNANCE_STATE',
            `proposal ${proposal.id} changed meanwhile; read it again`,
          );
        const logIndex = batch.add(
          encodeAuditEntry({
            actor: access.actor,
            action: 'governance.enact',
            resource: `governance-proposal:${proposal.id}`,
            purpose: PURPOSE,
            outcome: 'success',
            time: now,
            contentHash: policy.hash,
            details: { role: access.role, policyVersion: policy.version, policyEntry: policyLogIndex },
          }),
        );
        out = {
          ...cur,
          status: 'enacted',
          enacted: { at: now, policyLogIndex },
          logIndices: [...cur.logIndices, logIndex],
          updatedAt: now,
        };
        await tx.putObject({
          kind: PROPOSAL_KIND,
          id: proposal.id,
          owner: '',
          body: JSON.stringify(out),
          version: row.version + 1,
          updatedAt: now,
        });
      },
    );
    return out as Proposal;
  }

  /**
   * Runs what is due at the clock's now: closes proposals whose voting period is over and enacts
   * adopted ones whose timelock is over (as the operator, the actor `system:governance`). Returns
   * what it did; a step another node took first is skipped.
   */
  async tick(): Promise<{ closed: string[]; enacted: string[] }> {
    const now = this.#clock.now();
    const access: GovernanceAccess = { actor: 'system:governance', role: 'operator' };
    const closed: string[] = [];
    const enacted: string[] = [];
    const due: Proposal[] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.list({ limit: PAGE, ...(after === undefined ? {} : { after }) });
      due.push(...page.filter((p) => p.status === 'open' || p.status === 'adopted'));
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.id;
    }
    for (const p of due) {
      try {
        if (p.status === 'open' && now >= p.closesAt) {
          await this.close(p.id, access);
          closed.push(p.id);
        } else if (p.status === 'adopted' && p.enactAfter !== null && now >= p.enactAfter) {
          await this.enact(p.id, access);
          enacted.push(p.id);
        }
      } catch (e) {
        if (!isConflict(e) && !isVerityError(e, 'VERITY_E_GOVERNANCE_STATE')) throw e;
      }
    }
    return { closed, enacted };
  }

  /**
   * The tally's evidence: the proposal's, every vote's and the tally's entries with their inclusion
   * proofs against the newest signed checkpoint (check with `verifyTally`).
   */
  async evidence(id: string): Promise<TallyEvidence> {
    const { proposal } = await this.#book.load(id);
    if (proposal.tally === null)
      throw new GovernanceError('VERITY_E_GOVERNANCE_STATE', `proposal ${proposal.id} has not been tallied yet`);
    const votes = (await this.#book.votes(proposal.id)).map((v) => v.logIndex).sort((a, b) => a - b);
    return tallyEvidence(this.#log, { ...proposal, tally: proposal.tally }, votes);
  }
}
