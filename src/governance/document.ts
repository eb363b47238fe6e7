// The governance document (FGMV-46 7.4.5) as code: the stakeholder roles, the rights the document
// gives each, and the parameters of a decision (voting period, quorum, majority, timelock). It has
// a version and a hash (RFC 8785 SHA-256); every proposal records the hash of the document it was
// made under, so a later change of the rules does not change how an open proposal is decided.

import { canonicalJson, toBase64Url, utf8 } from '../encoding/index.ts';
import { GovernanceError } from '../errors/index.ts';
import { sha256 } from '../platform/index.ts';

/** The stakeholders of a world (FGMV-46 7.4.5 "multi-stakeholder"). */
export const ROLES = ['player', 'creator', 'partner', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** What a stakeholder may do in governance. */
export const RIGHTS = ['feedback', 'propose', 'vote', 'close', 'cancel', 'enact'] as const;
export type Right = (typeof RIGHTS)[number];

/** The governance document. */
export interface GovernanceDocument {
  readonly version: string;
  /** What each role is, and how Verity recognises it. */
  readonly roles: Readonly<Record<Role, { readonly description: string; readonly rights: readonly Right[] }>>;
  /** How long a proposal is open for votes (ms). */
  readonly votingPeriodMs: number;
  /** Fewest votes cast (yes, no and abstain) for a result to count. */
  readonly quorum: number;
  /** Adopted when yes / (yes + no) is greater than this fraction. */
  readonly majority: number;
  /** How long an adopted proposal waits before it may be enacted (ms): time to read, object, cancel. */
  readonly timelockMs: number;
  /** What kinds of change a proposal may bring (the changes Verity can enact). */
  readonly changes: readonly ['privacy-policy'];
}

const DAY = 24 * 3_600_000;

/**
 * The document Verity ships. Players and creators are people, so they vote (one verified person,
 * one vote); partner platforms and the operator are organisations: they give feedback and propose
 * but do not vote. Creators propose as well as vote; players vote and give feedback. The operator
 * closes votes, enacts adopted proposals after the timelock, and may cancel one during the
 * timelock only, with a reason that is logged (a change the law forbids, say): a veto in the open.
 */
export const DEFAULT_GOVERNANCE: GovernanceDocument = Object.freeze({
  version: '1',
  roles: Object.freeze({
    player: {
      description: 'a person who plays: a player signed in with a passkey, or holding a membership credential',
      rights: ['feedback', 'vote'],
    },
    creator: {
      description: 'a player who holds a valid verified-creator credential Verity issued',
      rights: ['feedback', 'propose', 'vote'],
    },
    partner: {
      description: 'a partner platform: a service whose token was granted `governance.partner`',
      rights: ['feedback', 'propose'],
    },
    operator: {
      description: 'the operator: an operator token granted `governance.operate`, or the local command line',
      rights: ['feedback', 'propose', 'close', 'cancel', 'enact'],
    },
  }) as GovernanceDocument['roles'],
  votingPeriodMs: 7 * DAY,
  quorum: 3,
  majority: 0.5,
  timelockMs: 2 * DAY,
  changes: ['privacy-policy'] as const,
});

/** A governance document with other parameters (tests, deployments): checked, with its own hash. */
export function governanceDocument(
  over: Partial<Pick<GovernanceDocument, 'version' | 'votingPeriodMs' | 'quorum' | 'majority' | 'timelockMs'>> = {},
): GovernanceDocument {
  const d = { ...DEFAULT_GOVERNANCE, ...over };
  const ms = (v: number) => Number.isSafeInteger(v) && v >= 0 && v <= 366 * DAY;
  if (!ms(d.votingPeriodMs) || d.votingPeriodMs < 1 || !ms(d.timelockMs))
    throw new RangeError('voting period and timelock are milliseconds, at most a year');
  if (!Number.isSafeInteger(d.quorum) || d.quorum < 1 || d.quorum > 1e9) throw new RangeError('quorum is 1 or more');
  if (!(d.majority >= 0 && d.majority < 1)) throw new RangeError('majority is a fraction in [0, 1)');
  if (typeof d.version !== 'string' || !/^[A-Za-z0-9._-]{1,32}$/.test(d.version))
    throw new RangeError('version is 1 to 32 letters, digits, dots, dashes or underscores');
  return Object.freeze(d);
}

/** The document's hash: `sha256:` and base64url of SHA-256 over its RFC 8785 form. */
export function governanceHash(d: GovernanceDocument): string {
  return `sha256:${toBase64Url(sha256(utf8(canonicalJson(d))))}`;
}

/** The roles that hold `right`. */
export function rolesWith(d: GovernanceDocument, right: Right): Role[] {
  return ROLES.filter((r) => d.roles[r].rights.includes(right));
}

/** Refuses (VERITY_E_GOVERNANCE_ROLE) a role the document does not give `right`. */
export function requireRight(d: GovernanceDocument, role: Role, right: Right): void {
  if (!d.roles[role].rights.includes(right))
    throw new GovernanceError(
      'VERITY_E_GOVERNANCE_ROLE',
      `the governance document (version ${d.version}) does not give a ${role} the right to ${right}; it gives it to: ${rolesWith(d, right).join(', ') || 'nobody'}`,
    );
}
