// Community governance (FGMV-46 7.4.3 user participation and feedback, 7.4.5 ecosystem
// governance): feedback on the data policies, proposals to change the privacy policy, votes of
// verified persons (one person, one vote), tallies anyone can recount from the log, a timelock
// before an adopted change takes effect, and the change enacted as a new privacy policy version.
// Every step is a state object written in the same log transaction as its audit entry; people
// appear in the log only as per-proposal voter pseudonyms or session ids, never by name or reference.

import { encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { canonicalJson, randomBytesSecure, toBase64, toBase64Url, utf8 } from '../encoding/index.ts';
import { GovernanceError, InputError, isVerityError, quote, StoreError } from '../errors/index.ts';
import type { KeyStore } from '../keys/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import { sha256 } from '../platform/index.ts';
import { type Privacy, PrivacyPolicy } from '../privacy/index.ts';
import { newObject, type ObjectRow, type Store } from '../store/index.ts';
import {
  CHOICES,
  type Choice,
  MAX_TALLY_VOTES,
  type ProvenEntry,
  type TallyEvidence,
  votesHash,
} from '../tally/index.ts';
import { CREDENTIAL_TYPES, type Credentials, type PresentationVerifier, statusReference } from '../vc/index.ts';
import { DEFAULT_GOVERNANCE, type GovernanceDocument, governanceHash, type Role, requireRight } from './document.ts';

export const PROPOSAL_KIND = 'governance.proposal';
export const VOTE_KIND = 'governance.vote';
export const FEEDBACK_KIND = 'governance.feedback';
/** The document a proposal would enact, kept apart so that votes read a small proposal. */
export const CHANGE_KIND = 'governance.change';
/** The KeyStore MAC key voter pseudonyms are derived under. */
export const VOTER_KEY = 'governance-voter';
const PURPOSE = 'governance';
const PROPOSAL_RE = /^gp_[A-Za-z0-9_-]{22}$/;
const FEEDBACK_RE = /^fb_[A-Za-z0-9_-]{22}$/;
const TOPIC_RE = /^[a-z][a-z0-9._:-]{0,63}$/;
const REF_RE = /^[A-Za-z0-9_-]{43}$/;
const MEMBERSHIP_VCT = CREDENTIAL_TYPES.membership.vct;
const CREATOR_TYPE = 'verified-creator';
const PAGE = 1000;

export type ProposalStatus = 'open' | 'adopted' | 'rejected' | 'cancelled' | 'enacted';

/** A proposal and where it stands. */
export interface Proposal {
  readonly id: string;
  readonly title: string;
  readonly rationale: string;
  /** What it changes: a new privacy policy version (the document itself: `change(id)`). */
  readonly change: {
    readonly kind: 'privacy-policy';
    readonly version: string;
    readonly hash: string;
  };
  /** The role it was proposed in. */
  readonly proposedAs: Role;
  /** The governance document it is decided under. */
  readonly governance: { readonly version: string; readonly hash: string };
  readonly status: ProposalStatus;
  readonly createdAt: number;
  readonly closesAt: number;
  readonly quorum: number;
  readonly majority: number;
  readonly timelockMs: number;
  readonly tally: {
    readonly yes: number;
    readonly no: number;
    readonly abstain: number;
    readonly votesHash: string;
    readonly logIndex: number;
  } | null;
  /** Adopted: when the timelock ends and it may be enacted. */
  readonly enactAfter: number | null;
  readonly cancelled: { readonly at: number; readonly reason: string } | null;
  readonly enacted: { readonly at: number; readonly policyLogIndex: number } | null;
  /** Log index of each step: proposed first. */
  readonly logIndices: readonly number[];
  readonly updatedAt: number;
}

/** A feedback entry on the data policies. */
export interface Feedback {
  readonly id: string;
  readonly role: Role;
  /** What it is about: `general`, a purpose or data category of the policy, or `proposal:ID`. */
  readonly topic: string;
  /** The privacy policy version in force when it was given. */
  readonly policyVersion: string;
  readonly text: string;
  readonly at: number;
  readonly logIndex: number;
}

/** Who acts, in which stakeholder role. */
export interface GovernanceAccess {
  readonly actor: string;
  readonly role: Role;
}

/** How a voter proves to be one verified person. */
export type VoterProof =
  /** A player's session: it counts only when the session was signed in with a passkey. */
  | { readonly kind: 'session'; readonly subjectRef: string; readonly method: string; readonly actor: string }
  /** A membership SD-JWT VC presentation, key bound with the nonce `voteNonce(proposal, choice)`. */
  | { readonly kind: 'credential'; readonly presentation: string };

/** The nonce a membership presentation's key binding must carry: it binds the choice. */
export function voteNonce(proposal: string, choice: string): string {
  return `governance-vote:${proposal}:${choice}`;
}

function text(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(v))
    throw new InputError('VERITY_E_INPUT_INVALID', `${what} must be 1 to ${max} characters of text`);
  return v;
}

function checkProposalId(id: unknown): string {
  if (typeof id !== 'string' || !PROPOSAL_RE.test(id))
    throw new InputError('VERITY_E_INPUT_INVALID', `proposal id ${quote(id)} must look like gp_ and 22 characters`);
  return id;
}

function isConflict(e: unknown): boolean {
  return e instanceof StoreError && e.code === 'VERITY_E_STORE_CONFLICT';
}

/** A salted commitment to free text: the log fixes the text without showing it. */
function commitment(t: string, salt: Uint8Array): string {
  return `sha256:${toBase64Url(sha256(utf8(canonicalJson({ salt: toBase64Url(salt), text: t }))))}`;
}

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
  readonly #store: Store;
  readonly #log: TransparencyLog;
  readonly #keys: KeyStore;
  readonly #privacy: Privacy;
  readonly #clock: Clock;
  readonly #doc: GovernanceDocument;
  readonly #docHash: string;
  readonly #verifier: PresentationVerifier | undefined;
  readonly #credentials: Credentials | undefined;
  readonly #audience: string | undefined;
  #macReady: Promise<void> | undefined;

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
    this.#store = o.store;
    this.#log = o.log;
    this.#keys = o.keys;
    this.#privacy = o.privacy;
    this.#clock = o.clock ?? systemClock;
    this.#doc = o.document ?? DEFAULT_GOVERNANCE;
    this.#docHash = governanceHash(this.#doc);
    this.#verifier = o.credentials?.verifier;
    this.#credentials = o.credentials?.issued;
    this.#audience = o.credentials?.audience;
  }

  /** The governance document in force, with its hash. */
  get document(): GovernanceDocument & { readonly hash: string } {
    return { ...this.#doc, hash: this.#docHash };
  }

  /**
   * The role a player speaks in: `creator` when they hold a valid, unexpired verified-creator
   * credential Verity issued (read from its state), else `player`.
   */
  async playerRole(subjectRef: string): Promise<Role> {
    if (!REF_RE.test(subjectRef)) return 'player';
    const rows = await this.#store.reader.listObjects('vc.credential', subjectRef, { limit: 100 });
    const now = this.#clock.now();
    for (const r of rows) {
      const c = JSON.parse(r.body) as { type?: string; status?: string; expiresAt?: number };
      if (c.type === CREATOR_TYPE && c.status === 'valid' && typeof c.expiresAt === 'number' && c.expiresAt > now)
        return 'creator';
    }
    return 'player';
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
  async feedback(input: { topic: string; text: string }, access: GovernanceAccess): Promise<Feedback> {
    requireRight(this.#doc, access.role, 'feedback');
    const topic = input.topic;
    if (typeof topic !== 'string' || !(TOPIC_RE.test(topic) || /^proposal:gp_[A-Za-z0-9_-]{22}$/.test(topic)))
      throw new InputError(
        'VERITY_E_INPUT_INVALID',
        'the topic is `general`, a purpose or data category of the privacy policy, or `proposal:ID`',
      );
    const body = text(input.text, 'the feedback', 4000);
    const id = `fb_${toBase64Url(randomBytesSecure(16))}`;
    const salt = randomBytesSecure(16);
    const policyVersion = this.#privacy.policy.version;
    const { result } = await this.#log.submit(async (tx, batch) => {
      const now = this.#clock.now();
      const logIndex = batch.add(
        encodeAuditEntry({
          actor: access.actor,
          action: 'governance.feedback',
          resource: `governance-feedback:${id}`,
          purpose: PURPOSE,
          outcome: 'success',
          time: now,
          contentHash: commitment(body, salt),
          details: { role: access.role, topic: topic.slice(0, 128), policyVersion },
        }),
      );
      const f: Feedback = { id, role: access.role, topic, policyVersion, text: body, at: now, logIndex };
      await tx.putObject(
        newObject({ kind: FEEDBACK_KIND, id, doc: { ...f, salt: toBase64Url(salt) }, updatedAt: now }),
      );
      return f;
    });
    return result;
  }

  /** Feedback entries by id (paged by `after`). */
  async feedbackList(o: { limit?: number; after?: string } = {}): Promise<Feedback[]> {
    const limit = o.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE)
      throw new InputError('VERITY_E_INPUT_INVALID', `limit must be 1 to ${PAGE}`);
    if (o.after !== undefined && !FEEDBACK_RE.test(o.after))
      throw new InputError('VERITY_E_INPUT_INVALID', '`after` must be a feedback id (fb_...)');
    const rows = await this.#store.reader.listObjects(FEEDBACK_KIND, '', {
      limit,
      ...(o.after === undefined ? {} : { after: o.after }),
    });
    return rows.map((r) => {
      const { salt: _salt, ...f } = JSON.parse(r.body) as Feedback & { salt: string };
      return f;
    });
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
    return this.#write(undefined, proposal, access.actor, 'governance.propose', {
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

  /** The privacy policy document a proposal would enact (RFC 8785 JSON). */
  async change(id: string): Promise<string> {
    const row = await this.#store.reader.getObject(CHANGE_KIND, checkProposalId(id));
    if (row === undefined)
      throw new GovernanceError('VERITY_E_GOVERNANCE_NOT_FOUND', `there is no proposal ${quote(id)}`);
    return (JSON.parse(row.body) as { document: string }).document;
  }

  /** One proposal. */
  async get(id: string): Promise<Proposal> {
    return (await this.#load(id)).proposal;
  }

  /** Proposals by id (`status` to filter). */
  async list(o: { status?: ProposalStatus; limit?: number; after?: string } = {}): Promise<Proposal[]> {
    const limit = o.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE)
      throw new InputError('VERITY_E_INPUT_INVALID', `limit must be 1 to ${PAGE}`);
    const out: Proposal[] = [];
    let after = o.after === undefined ? undefined : checkProposalId(o.after);
    for (;;) {
      const rows = await this.#store.reader.listObjects(PROPOSAL_KIND, '', { limit: 200, ...(after ? { after } : {}) });
      for (const r of rows) {
        const p = JSON.parse(r.body) as Proposal;
        if (o.status !== undefined && p.status !== o.status) continue;
        out.push(p);
        if (out.length >= limit) return out;
      }
      if (rows.length < 200) return out;
      after = rows[rows.length - 1]?.id;
    }
  }

  // --- votes ---------------------------------------------------------------------------------

  /**
   * Resolves a voter proof to one person: the stable key votes are deduplicated by, and the role.
   * A passkey session and any membership credential Verity issued to the same player resolve to
   * the same person (the player's subject reference); a credential of another issuer to its `sub`
   * claim, or else its status list entry (D118 says what that cannot catch).
   */
  async #person(
    proposal: string,
    choice: Choice,
    proof: VoterProof,
  ): Promise<{ key: string; role: Role; via: string }> {
    if (proof.kind === 'session') {
      if (proof.method !== 'passkey')
        throw new GovernanceError(
          'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
          'a vote needs a verified person: sign in with a passkey (a session a service opened, or an OpenID Connect sign-in, does not count), or present a membership credential',
        );
      if (!REF_RE.test(proof.subjectRef)) throw new TypeError('a player is named by subject reference');
      return { key: `subject:${proof.subjectRef}`, role: await this.playerRole(proof.subjectRef), via: 'passkey' };
    }
    if (this.#verifier === undefined)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
        'this Verity takes no membership credentials for votes; sign in with a passkey',
      );
    if (typeof proof.presentation !== 'string' || proof.presentation.length > 64 * 1024)
      throw new InputError('VERITY_E_INPUT_INVALID', 'the presentation must be an SD-JWT of at most 64 KiB');
    let claims: Record<string, unknown>;
    let issuer: string;
    try {
      const v = await this.#verifier.verify(proof.presentation, {
        requireKeyBinding: true,
        nonce: voteNonce(proposal, choice),
        vcts: [MEMBERSHIP_VCT],
        ...(this.#audience === undefined ? {} : { audience: this.#audience }),
      });
      claims = v.claims;
      issuer = v.issuer;
    } catch (e) {
      if (isVerityError(e))
        throw new GovernanceError(
          'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
          `the membership credential was refused (${e.code}): ${e.message}`,
          { cause: e },
        );
      throw e;
    }
    const ref = statusReference(claims as never);
    if (ref !== undefined && this.#credentials !== undefined && issuer === this.#credentials.issuer) {
      const c = await this.#credentials.byStatus(ref.uri, ref.idx);
      if (c !== undefined) return { key: `subject:${c.subjectRef}`, role: 'player', via: 'credential' };
    }
    const sub = claims['sub'];
    if (typeof sub === 'string' && sub.length > 0 && sub.length <= 256)
      return { key: `vc:${issuer}#sub:${sub}`, role: 'player', via: 'credential' };
    if (ref !== undefined)
      return { key: `vc:${issuer}#status:${ref.uri}#${ref.idx}`, role: 'player', via: 'credential' };
    throw new GovernanceError(
      'VERITY_E_GOVERNANCE_VOTER_UNVERIFIED',
      'the membership credential names no person (no `sub`, no status entry): one vote per person cannot be kept with it',
    );
  }

  /** The voter's pseudonym for one proposal: unlinkable across proposals, stable within one. */
  async #tag(proposal: string, personKey: string): Promise<string> {
    // Once per instance: concurrent first votes would each write the key file otherwise.
    this.#macReady ??= this.#keys.ensureMacKey(VOTER_KEY).catch((e: unknown) => {
      this.#macReady = undefined;
      throw e;
    });
    await this.#macReady;
    return toBase64Url(await this.#keys.mac(VOTER_KEY, utf8(`verity/governance/voter/v1\n${proposal}\n${personKey}`)));
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
    const p = (await this.#load(id)).proposal;
    this.#open(p);
    const person = await this.#person(id, choice, proof);
    requireRight(this.#doc, person.role, 'vote');
    const voter = await this.#tag(id, person.key);
    const { result } = await this.#log.submit(async (tx, batch) => {
      const now = this.#clock.now();
      const row = await tx.getObject(PROPOSAL_KIND, id);
      if (row === undefined) throw new GovernanceError('VERITY_E_GOVERNANCE_NOT_FOUND', `there is no proposal ${id}`);
      this.#open(JSON.parse(row.body) as Proposal, now);
      if ((await tx.getObject(VOTE_KIND, `${id}/${voter}`)) !== undefined)
        throw new GovernanceError(
          'VERITY_E_GOVERNANCE_ALREADY_VOTED',
          'this person has voted on this proposal already; a vote is not changed',
        );
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

  /** Every vote of a proposal (state objects, each checked against the state map as it is read). */
  async #votes(id: string): Promise<{ voter: string; choice: Choice; logIndex: number }[]> {
    const out: { voter: string; choice: Choice; logIndex: number }[] = [];
    let after: string | undefined;
    for (;;) {
      const rows = await this.#store.reader.listObjects(VOTE_KIND, id, { limit: PAGE, ...(after ? { after } : {}) });
      for (const r of rows) out.push(JSON.parse(r.body) as { voter: string; choice: Choice; logIndex: number });
      if (out.length > MAX_TALLY_VOTES)
        throw new GovernanceError('VERITY_E_GOVERNANCE_STATE', `more than ${MAX_TALLY_VOTES} votes: not supported`);
      if (rows.length < PAGE) return out;
      after = rows[rows.length - 1]?.id;
    }
  }

  /**
   * Closes voting once the period is over and publishes the tally (counts, and the hash of the
   * set of vote entries): adopted when the quorum was reached and yes is more than the majority
   * of yes and no; an adopted proposal then waits out its timelock.
   */
  async close(id: string, access: GovernanceAccess): Promise<Proposal> {
    requireRight(this.#doc, access.role, 'close');
    const { row, proposal } = await this.#load(id);
    const now = this.#clock.now();
    if (proposal.status !== 'open')
      throw new GovernanceError('VERITY_E_GOVERNANCE_STATE', `proposal ${proposal.id} is ${proposal.status}, not open`);
    if (now < proposal.closesAt)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_STATE',
        `voting on ${proposal.id} is open until ${new Date(proposal.closesAt).toISOString()}`,
      );
    const votes = await this.#votes(proposal.id);
    const yes = votes.filter((v) => v.choice === 'yes').length;
    const no = votes.filter((v) => v.choice === 'no').length;
    const abstain = votes.length - yes - no;
    const adopted = votes.length >= proposal.quorum && yes + no > 0 && yes / (yes + no) > proposal.majority;
    const hash = votesHash(votes.map((v) => v.logIndex));
    return this.#write(
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
    const { row, proposal } = await this.#load(id);
    const now = this.#clock.now();
    if (proposal.status !== 'adopted' || proposal.enactAfter === null || now >= proposal.enactAfter)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_STATE',
        `proposal ${proposal.id} can be cancelled only while adopted and in its timelock (it is ${proposal.status})`,
      );
    return this.#write(
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
    const { proposal } = await this.#load(id);
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
    const { proposal } = await this.#load(id);
    if (proposal.tally === null)
      throw new GovernanceError('VERITY_E_GOVERNANCE_STATE', `proposal ${proposal.id} has not been tallied yet`);
    const votes = (await this.#votes(proposal.id)).map((v) => v.logIndex).sort((a, b) => a - b);
    const head = await this.#log.head();
    const proposedAt = proposal.logIndices[0] as number;
    const indices = [proposedAt, ...votes, proposal.tally.logIndex];
    const proofs = await this.#log.inclusionProofs(indices, head.size);
    const proven: ProvenEntry[] = [];
    // Entries are read in ranges where they are consecutive (votes of a busy proposal often are).
    for (let i = 0; i < indices.length; ) {
      let j = i + 1;
      while (j < indices.length && (indices[j] as number) === (indices[j - 1] as number) + 1 && j - i < 4096) j++;
      const start = indices[i] as number;
      const entries = await this.#log.entries(start, (indices[j - 1] as number) + 1);
      for (let k = i; k < j; k++)
        proven.push({
          index: indices[k] as number,
          entry: toBase64(entries[k - i] as Uint8Array),
          proof: (proofs[k] as { proof: string[] }).proof,
        });
      i = j;
    }
    return {
      proposal: proposal.id,
      checkpoint: head.checkpoint,
      proposed: proven[0] as ProvenEntry,
      votes: proven.slice(1, -1),
      tally: proven[proven.length - 1] as ProvenEntry,
    };
  }

  // --- internals -----------------------------------------------------------------------------

  #open(p: Proposal, now = this.#clock.now()): void {
    if (p.status !== 'open' || now >= p.closesAt)
      throw new GovernanceError(
        'VERITY_E_GOVERNANCE_STATE',
        `voting on proposal ${p.id} is closed (${p.status}, closing time ${new Date(p.closesAt).toISOString()})`,
      );
  }

  async #load(id: string): Promise<{ row: ObjectRow; proposal: Proposal }> {
    const row = await this.#store.reader.getObject(PROPOSAL_KIND, checkProposalId(id));
    if (row === undefined)
      throw new GovernanceError('VERITY_E_GOVERNANCE_NOT_FOUND', `there is no proposal ${quote(id)}`);
    return { row, proposal: JSON.parse(row.body) as Proposal };
  }

  /** Writes the proposal's next version and its step's audit entry in one log transaction. */
  async #write(
    prev: ObjectRow | undefined,
    next: Omit<Proposal, 'logIndices'> & { logIndices?: readonly number[] },
    actor: string,
    action: 'governance.propose' | 'governance.tally' | 'governance.cancel',
    o: {
      details: Record<string, string | number | boolean>;
      contentHash?: string;
      tally?: (logIndex: number) => NonNullable<Proposal['tally']>;
      document?: string;
    },
  ): Promise<Proposal> {
    const { result } = await this.#log.submit(async (tx, batch) => {
      // Compare-and-set on the version read: a concurrent step fails this one (VERITY_E_STORE_CONFLICT).
      const logIndex = batch.add(
        encodeAuditEntry({
          actor,
          action,
          resource: `governance-proposal:${next.id}`,
          purpose: PURPOSE,
          outcome: 'success',
          time: this.#clock.now(),
          details: o.details,
          ...(o.contentHash === undefined ? {} : { contentHash: o.contentHash }),
        }),
      );
      const p: Proposal = {
        ...next,
        ...(o.tally === undefined ? {} : { tally: o.tally(logIndex) }),
        logIndices: [...(next.logIndices ?? []), logIndex],
      };
      await tx.putObject({
        kind: PROPOSAL_KIND,
        id: next.id,
        owner: '',
        body: JSON.stringify(p),
        version: (prev?.version ?? 0) + 1,
        updatedAt: p.updatedAt,
      });
      if (o.document !== undefined)
        await tx.putObject(
          newObject({ kind: CHANGE_KIND, id: next.id, doc: { document: o.document }, updatedAt: p.updatedAt }),
        );
      return p;
    });
    return result;
  }
}
