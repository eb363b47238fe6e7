/**
 * Purpose limitation for local record commands. `verity records get --data DIR` holds the key
 * store's secret, so the policies cannot stop a determined operator; they stop a mistaken one, and
 * they make the local path answer as the server does: the same Cedar decision (principal
 * `Verity::Operator::"local:cli"`, the policies in force, installed from DIR/policies), logged the same way (an allowed
 * operation's audit entry carries the policy hash; a denial gets a `policy.decision` entry).
 */

import { join } from 'node:path';
import {
  ABSENT_OWNER,
  type Action,
  type Decision,
  type PlayerRef,
  type PolicyEngine,
  type PrincipalRef,
  type ResourceRef,
  recordResource,
} from '../access/index.ts';
import { encodeAuditEntry } from '../audit/index.ts';
import { systemClock } from '../clock/index.ts';
import { openPolicies } from '../embedded/index.ts';
import { PrivacyError, quote, VerityError } from '../errors/index.ts';
import type { ConsentAnswer, Privacy } from '../privacy/index.ts';
import type { RecordMeta } from '../vault/index.ts';
import type { Values } from './command.ts';
import { ACTOR, dataDir, type Opened, withVerity } from './common.ts';

/**
 * Who the local CLI is to the policies. The id holds a colon, which API token names cannot, so no
 * HTTP caller is ever this principal.
 */
export const LOCAL_OPERATOR: PrincipalRef = { kind: 'operator', id: 'local:cli' };

/** What a refusal of the local operator adds, for actions the default policies never allow it. */
const NEVER_LOCAL: Partial<Record<Action, string>> = {
  setGuardianship:
    'guardianship is recorded by a platform service whose token was granted `guardianship.set` (`PUT /v1/subjects/guardianship`); the default policies never let an operator record it (see the README, "Sessions, capabilities and guardianship")',
};

/** Runs `fn` on the data directory with the local policy gate. */
export function gated<T>(values: Values, fn: (v: Opened, gate: LocalGate) => Promise<T>): Promise<T> {
  const dir = dataDir(values);
  return withVerity(values, async (v) => {
    // The policies in force (D416): what `verity policy install` put in the state, not the files.
    const { engine, privacy, notes } = await openPolicies(v, dir, { actor: ACTOR });
    for (const line of notes) process.stderr.write(`verity: ${line}\n`);
    return fn(v, new LocalGate(v, engine, dir, privacy));
  });
}

/** Decisions for one local command on an open data directory. */
export class LocalGate {
  readonly #v: Opened;
  readonly #engine: PolicyEngine;
  readonly #dir: string;
  readonly #privacy: Privacy;

  constructor(v: Opened, engine: PolicyEngine, dir: string, privacy: Privacy) {
    this.#v = v;
    this.#engine = engine;
    this.#dir = dir;
    this.#privacy = privacy;
  }

  /** The purpose, or VERITY_E_POLICY_UNKNOWN_PURPOSE listing those of the data directory's privacy policy. */
  checkPurpose(purpose: string): string {
    return this.#privacy.policy.checkPurpose(purpose);
  }

  /** The data category, or VERITY_E_POLICY_UNKNOWN_CATEGORY listing the privacy policy's. */
  checkCategory(category: string): string {
    return this.#privacy.policy.checkCategory(category);
  }

  /** The consent a decision about a player's record or subject reads (at decision time). */
  async consent(action: Action, resource: ResourceRef, purpose: string): Promise<ConsentAnswer> {
    this.checkPurpose(purpose);
    if ((resource.kind !== 'record' && resource.kind !== 'subject') || !/^[A-Za-z0-9_-]{43}$/.test(resource.owner.id))
      return { consent: 'unknown' };
    return this.#privacy.consentFor(resource.owner.id, purpose, {
      ...(resource.kind === 'record' ? { category: resource.category } : {}),
      action,
    });
  }

  /** The hash of the policy set that decides. */
  get policyHash(): string {
    return this.#engine.policyHash;
  }

  /** A subject as the policies see it. */
  async owner(subjectRef: string): Promise<PlayerRef> {
    const f = await this.#v.vault.subjectFacts(subjectRef);
    return { id: subjectRef, minor: f.minor, guardians: f.guardians };
  }

  /** An existing record as the policies see it (an absent one is decided like any other). */
  async record(id: string): Promise<ResourceRef> {
    return (await this.recordVersion(id)).resource;
  }

  /**
   * A version of a record (the latest when `version` is undefined) as the policies see it, and
   * which version that is: a read is decided on, and then reads, that one version.
   */
  async recordVersion(id: string, version?: number): Promise<{ resource: ResourceRef; version: number | undefined }> {
    const d = await this.#v.vault.describe(id, version);
    return {
      resource: recordResource(id, d === undefined ? ABSENT_OWNER : await this.owner(d.subjectRef), d),
      version: d?.version,
    };
  }

  /** A record as its metadata describes it. */
  recordOf(m: RecordMeta, owner: PlayerRef): ResourceRef {
    return recordResource(m.id, owner, { type: m.type, ...m.classification });
  }

  /** Decides without logging, with the consent read for it (`consent`). */
  decide(
    action: Action,
    resource: ResourceRef,
    purpose: string,
    consent: ConsentAnswer = { consent: 'unknown' },
  ): Decision {
    return this.#engine.authorize(LOCAL_OPERATOR, action, resource, {
      purpose,
      consent: consent.consent,
      time: systemClock.now(),
    });
  }

  /** Appends a decision as its own audit entry. */
  async log(
    action: Action,
    label: string,
    purpose: string,
    outcome: boolean,
    details: Readonly<Record<string, string | number | boolean>> = {},
  ): Promise<void> {
    await this.#v.log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          actor: ACTOR,
          action: 'policy.decision',
          resource: label,
          purpose,
          outcome: outcome ? 'success' : 'denied',
          time: systemClock.now(),
          policy: this.#engine.policyHash,
          details: { action, decision: outcome ? 'allow' : 'deny', ...details },
        }),
      ),
    );
  }

  /**
   * Authorizes `op`: a denial is logged and thrown; an allowed operation's own audit entries carry
   * the policy hash, and when it then fails the decision is logged on its own, as on the server.
   */
  async decided<T>(
    action: Action,
    resource: ResourceRef,
    label: string,
    purpose: string,
    op: (policy: string) => Promise<T>,
  ): Promise<T> {
    const consent = await this.consent(action, resource, purpose);
    const d = this.decide(action, resource, purpose, consent);
    if (!d.allowed) {
      await this.log(action, label, purpose, false);
      // Consent is named as the reason only when it decided: with it, the policies would allow.
      if (
        consent.consent === 'denied' &&
        d.reasons.includes('no-processing-without-consent') &&
        this.decide(action, resource, purpose, { consent: 'granted' }).allowed
      )
        throw new PrivacyError(
          consent.because === 'opted-out' ? 'VERITY_E_CONSENT_OPTED_OUT' : 'VERITY_E_CONSENT_REQUIRED',
          `purpose ${quote(purpose)} rests on the player's consent, which is not given (or they opted out); record it with \`verity consent grant\``,
        );
      throw new VerityError(
        'VERITY_E_ACCESS_DENIED',
        `the policies in force (installed from ${quote(join(this.#dir, 'policies'))}) do not permit the local operator (Verity::Operator::"local:cli") to ${action} this ${resource.kind} for purpose ${quote(purpose)}; ${NEVER_LOCAL[action] ?? 'local commands are decided like HTTP requests (see the README, "Local reads")'}`,
      );
    }
    try {
      return await op(d.policyHash);
    } catch (e) {
      await this.log(action, label, purpose, true);
      throw e;
    }
  }
}
