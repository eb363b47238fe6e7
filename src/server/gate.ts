import type { FastifyRequest } from 'fastify';
import type { Action, Decision, PlayerRef, PolicyEngine, PrincipalRef, ResourceRef } from '../access/index.ts';
import { type AuditEvent, encodeAuditEntry } from '../audit/index.ts';
import { type Clock, systemClock } from '../clock/index.ts';
import { isVerityError, PrivacyError, VerityError } from '../errors/index.ts';
import type { TransparencyLog } from '../log/index.ts';
import {
  CAPABILITIES,
  type Capability,
  type Principal as ServicePrincipal,
  type SessionMethod,
  type Sessions,
  type SignInContext,
  type Tokens,
} from '../principals/index.ts';
import type { ConsentAnswer, Privacy } from '../privacy/index.ts';
import type { Vault } from '../vault/index.ts';

/** What the record endpoints need. */
export interface RecordRoutesOptions {
  readonly vault: Vault;
  readonly log: TransparencyLog;
  readonly tokens: Tokens;
  /** When given, players call with session tokens (`POST /v1/sessions` opens them). */
  readonly sessions?: Sessions;
  /** Read at every request, so a reload takes effect at once. */
  readonly policies: () => PolicyEngine;
  /**
   * The privacy policy and consent (FGMV-46 7.4.1): when given, purposes (and record categories)
   * outside the policy are refused at the boundary, decisions read consent when they are made, and
   * `Sec-GPC: 1` counts as an opt-out of sale and sharing; the consent endpoints are served.
   */
  readonly privacy?: Privacy;
  /**
   * Reads under data-sharing agreements (D231): a token granted `records.under-agreement` reads a
   * player's records only while an agreement indexed from the chain between an address the player
   * bound and the token's recipient covers the purpose and the record's category. Without it (no
   * chain configured) such tokens read nothing.
   */
  readonly agreements?: AgreementSource;
  readonly clock?: Clock;
}

/** The agreements a decision reads (src/chain's `AgreementReads`). */
export interface AgreementSource {
  view(
    subjectRef: string,
    recipient: string,
  ): Promise<{ decide(purpose: string, category: string): { allowed: boolean; reason: string } }>;
}

/** What the gate reports besides its answers. */
export interface GateHooks {
  /** An authentication failed: the reason is the error's message (fixed text, never the token). */
  readonly onAuthFailure?: (reason: string, req: FastifyRequest) => void;
  /** Whether a namespace names a trusted identity provider's players (OpenID Connect sign-in, D422). */
  readonly issuerNamespace?: (namespace: string) => Promise<boolean>;
}

/** A signed-in player (session token): named by subject reference, never by id. */
interface PlayerCaller {
  readonly role: 'player';
  /** The player's subject reference. */
  readonly name: string;
  /** The record types of the session's opener (never vault tokens). */
  readonly recordTypes: readonly string[];
  readonly actor: string;
  readonly sessionId: string;
  /** The risk of the sign-in that opened the session, 0 to 100 (from its signed token). */
  readonly risk: number;
  /** How the session was opened: a service vouched for it, or the player signed in (passkey, OpenID Connect). */
  readonly method: SessionMethod;
  /** The service that opened the session, when it vouched for the player (`method` `service`). */
  readonly openedBy?: string;
  /** Its token (a session it opened, or one of a passkey enrolled in such a session: D432). */
  readonly openerTokenId?: string;
  /** Where this request came from (address, User-Agent): a sensitive operation is scored with it. */
  readonly context: SignInContext;
}

/**
 * The operations scored on their own when a signed-in player asks for them, under the names the
 * risk model reads as sensitive (deleting, exporting, tokens): the session's sign-in score alone
 * would let a stolen session erase or export a player's data at its sign-in's low risk.
 */
const SENSITIVE_OPERATIONS: Partial<Record<Action, string>> = {
  erase: 'data_delete',
  share: 'data_export',
  reportAccess: 'history_export',
  revokeSession: 'session_token_revoke',
};

/** Who calls, and whether their request carried a Global Privacy Control signal (`Sec-GPC: 1`). */
export type Principal = (ServicePrincipal | PlayerCaller) & { readonly gpc?: boolean };

const SUBJECT_REF_RE = /^[A-Za-z0-9_-]{43}$/;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

function cedarPrincipal(p: Principal): PrincipalRef {
  switch (p.role) {
    case 'player':
      return { kind: 'player', id: p.name, recordTypes: p.recordTypes };
    case 'service':
      return { kind: 'service', id: p.name, recordTypes: p.recordTypes, capabilities: p.capabilities };
    default:
      return { kind: p.role, id: p.name, capabilities: p.capabilities };
  }
}

/** The capability the default policies want for an action, when it needs one. */
const NEEDS: Partial<Record<Action, Capability>> = {
  openSession: 'session.open',
  setGuardianship: 'guardianship.set',
  manageIssuers: 'issuer.manage',
  issueCredential: 'credential.issue',
  revokeCredential: 'credential.revoke',
  manageIncidents: 'incident.manage',
};

/** Where a sign-in request came from, for its risk score (the address and the User-Agent). */
export function signInContext(req: FastifyRequest): SignInContext {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, ...(typeof ua === 'string' ? { userAgent: ua } : {}) };
}

/**
 * What a token lacking `cap` is told: the capability, and the command that makes a token with it,
 * with a role that may hold it (the caller's when it may: `chain.anchor` is for operators only, so a
 * service is told `--role operator`). `role: 'service'` names the service role where the policies
 * want one; `because`: what the missing capability keeps the token from.
 */
export function notGranted(
  p: Principal,
  cap: Capability,
  options: { readonly because?: string; readonly role?: 'service' | 'caller' } = {},
): string {
  const { because, role } = options;
  const holders: readonly string[] = CAPABILITIES[cap];
  const as =
    role === undefined && holders.includes(p.role)
      ? ''
      : `--role ${role === 'service' ? 'service' : holders.includes(p.role) ? p.role : holders[0]} `;
  const why = because === undefined ? '' : `, so ${because}`;
  return `the token of ${p.actor} was not granted \`${cap}\`${why}; create one with \`verity tokens create ... ${as}--capability ${cap}\``;
}

/** What a denial says: what to do next, when it is something the caller's token lacks. */
function denial(p: Principal, action: Action, resource: ResourceRef, purposeText: string): string {
  const cap = NEEDS[action];
  if (cap !== undefined && p.role !== 'player' && !p.capabilities.includes(cap))
    return notGranted(p, cap, { because: `the policies do not permit it to ${action}`, role: 'service' });
  if (resource.kind === 'record' && p.role === 'service' && p.recordTypes.length === 0)
    return `the token of ${p.actor} has no record types, so the policies permit it nothing; create one with \`verity tokens create ... --role service --record-types TYPE[,TYPE...]\``;
  const what =
    resource.kind === 'session'
      ? 'this session'
      : resource.kind === 'subject'
        ? 'this subject'
        : resource.kind === 'log'
          ? 'the log'
          : resource.kind === 'deid'
            ? 'this de-identification domain'
            : 'this record';
  return `the policies do not permit ${p.actor} to ${action} ${what} for purpose \`${purposeText}\``;
}

/** Whether a caller reads records only under data-sharing agreements. */
function underAgreement(p: Principal): p is ServicePrincipal & { role: 'service' } {
  return p.role === 'service' && p.capabilities.includes('records.under-agreement');
}

/** The default policy that turns a denied consent into a denial. */
const CONSENT_POLICY = 'no-processing-without-consent';

/** A denial because of consent, with what to do next. */
function consentDenial(c: ConsentAnswer, purposeText: string): VerityError {
  return c.because === 'opted-out'
    ? new PrivacyError(
        'VERITY_E_CONSENT_OPTED_OUT',
        `the player opted out of the sale and sharing of their data (a Global Privacy Control signal or a recorded opt-out); nothing is processed for purpose \`${purposeText}\` or shared`,
      )
    : new PrivacyError(
        'VERITY_E_CONSENT_REQUIRED',
        `purpose \`${purposeText}\` rests on the player's consent, which is not given (never given, withdrawn or refused); record it first with \`POST /v1/consent\``,
      );
}

/**
 * Authentication and authorization shared by every authenticated endpoint: bearer tokens (service
 * API tokens or player sessions), Cedar decisions with purpose limitation, and the logging of every
 * decision, allow or deny, with the hash of the policy set that made it.
 */
export function makeGate(o: RecordRoutesOptions, hooks: GateHooks = {}) {
  const clock = o.clock ?? systemClock;

  /** A subject as the policies see it: its reference, and whether it is a minor in whose care. */
  const ownerOf = async (subjectRef: string): Promise<PlayerRef> => {
    const f = await o.vault.subjectFacts(subjectRef);
    return { id: subjectRef, minor: f.minor, guardians: f.guardians };
  };

  const identify = async (req: FastifyRequest): Promise<void> => {
    // RFC 7235: the scheme is case-insensitive (`bearer`, `BEARER`), then one or more spaces.
    const m = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    if (m === null) {
      throw new VerityError(
        'VERITY_E_UNAUTHENTICATED',
        'send `Authorization: Bearer TOKEN` with a token from `verity tokens create`',
      );
    }
    const token = m[1] as string;
    // Global Privacy Control: the header's only valid value is `1` (GPC specification 3.1).
    const gpc = req.headers['sec-gpc'] === '1';
    if (o.sessions !== undefined && token.split('.').length === 3) {
      // Signature, then the session's row and its opener's token: a revocation is seen at once.
      const s = await o.sessions.authenticate(token);
      const actor = `player:session-${s.id}`;
      req.principal = {
        role: 'player',
        name: s.subjectRef,
        recordTypes: s.recordTypes,
        actor,
        sessionId: s.id,
        risk: s.risk,
        method: s.method,
        ...(s.method === 'service' && s.opener !== undefined
          ? { openedBy: s.opener.name, openerTokenId: s.opener.tokenId }
          : {}),
        context: signInContext(req),
        ...(gpc ? { gpc } : {}),
      };
      // The player's own user agent sent the signal: it is recorded as their opt-out (once).
      if (gpc && o.privacy !== undefined) await o.privacy.honourGpc(s.subjectRef, { actor });
      return;
    }
    const principal = await o.tokens.authenticate(token);
    req.principal = gpc ? { ...principal, gpc } : principal;
  };

  /**
   * Authenticates the bearer token. Run as the route's `onRequest` hook: before the body is read
   * or validated, so an unauthenticated caller learns nothing about the request's shape (401, not 400).
   */
  const authenticate = async (req: FastifyRequest): Promise<void> => {
    try {
      await identify(req);
    } catch (e) {
      if (e instanceof VerityError && e.code === 'VERITY_E_UNAUTHENTICATED') hooks.onAuthFailure?.(e.message, req);
      throw e;
    }
  };

  /** The principal `authenticate` found (every gated route runs it first). */
  const principalOf = (req: FastifyRequest): Principal => {
    if (req.principal === undefined)
      throw new VerityError('VERITY_E_UNAUTHENTICATED', 'no principal was authenticated');
    return req.principal;
  };

  /** Appends a `policy.decision` audit entry: what was decided, by which policy text when one decided. */
  const logOutcome = (
    p: Principal,
    label: string,
    purposeText: string,
    outcome: 'success' | 'denied' | 'error',
    details: NonNullable<AuditEvent['details']>,
    policy?: string,
  ) =>
    o.log.submit((_tx, batch) =>
      batch.add(
        encodeAuditEntry({
          actor: p.actor,
          action: 'policy.decision',
          resource: label,
          purpose: purposeText,
          outcome,
          time: clock.now(),
          // Every decision names the policy set in force, a refusal for a missing capability too
          // (it is decided under that set: D415).
          policy: policy ?? o.policies().policyHash,
          details,
        }),
      ),
    );

  /**
   * Refuses a caller for want of `cap` (granted explicitly, never implied by a role): a logged
   * `policy.decision` and a 403 naming the capability and the command that makes a token with it.
   */
  const refuseWithout = async (
    p: Principal,
    cap: Capability,
    label: string,
    purposeText: string,
    options?: Parameters<typeof notGranted>[2],
  ): Promise<never> => {
    await logOutcome(p, label, purposeText, 'denied', { action: cap, decision: 'deny' });
    throw new VerityError('VERITY_E_ACCESS_DENIED', notGranted(p, cap, options));
  };

  /**
   * A refusal by a rule of Verity's own, not of the policies (a vouched session's reach, an identity
   * provider's namespace): a `policy.decision` denial with `reasons: verity-rule`. `refuseByRule`
   * logs it and throws VERITY_E_ACCESS_DENIED with `message`.
   */
  const logRuleDenial = (p: Principal, action: Action, label: string, purposeText: string) =>
    logOutcome(p, label, purposeText, 'denied', { action, decision: 'deny', reasons: 'verity-rule' });
  const refuseByRule = async (
    p: Principal,
    action: Action,
    label: string,
    purposeText: string,
    message: string,
  ): Promise<never> => {
    await logRuleDenial(p, action, label, purposeText);
    throw new VerityError('VERITY_E_ACCESS_DENIED', message);
  };

  /**
   * Refuses a service acting for a player id in a trusted identity provider's namespace (`acme:bob`):
   * those players are the provider's to vouch for, and sign in through it (D422). Logged as a denial.
   */
  const refuseNamespaced = async (
    p: Principal,
    action: Action,
    label: string,
    purposeText: string,
    player: string,
  ): Promise<void> => {
    const colon = player.indexOf(':');
    if (colon > 0 && (await hooks.issuerNamespace?.(player.slice(0, colon))))
      await refuseByRule(
        p,
        action,
        label,
        purposeText,
        `\`${player.slice(0, colon)}:\` names the players of a trusted identity provider: they sign in through it (POST /v1/signin/oidc), and no service acts for them on its own word`,
      );
  };

  /** Appends the decision as its own audit entry. */
  const logDecision = (
    p: Principal,
    action: Action,
    label: string,
    purposeText: string,
    d: Decision,
    operationRisk?: number,
  ) =>
    logOutcome(
      p,
      label,
      purposeText,
      d.allowed ? 'success' : 'denied',
      {
        action,
        decision: d.allowed ? 'allow' : 'deny',
        ...(d.reasons.length > 0 ? { reasons: d.reasons.join(',').slice(0, 128) } : {}),
        // The score of a sensitive operation, when it was scored (docs/risk.md).
        ...(operationRisk === undefined ? {} : { risk: operationRisk }),
      },
      d.policyHash,
    );

  /**
   * The purpose checked against the privacy policy, and the consent the decision reads (at decision
   * time, from the store) for a player's record or subject; `unknown` when consent does not bear.
   */
  const consentOf = async (
    p: Principal,
    action: Action,
    resource: ResourceRef,
    purposeText: string,
  ): Promise<ConsentAnswer> => {
    if (o.privacy === undefined) return { consent: 'unknown' };
    o.privacy.policy.checkPurpose(purposeText);
    if (resource.kind !== 'record' && resource.kind !== 'subject') return { consent: 'unknown' };
    if (!SUBJECT_REF_RE.test(resource.owner.id)) return { consent: 'unknown' };
    return o.privacy.consentFor(resource.owner.id, purposeText, {
      ...(resource.kind === 'record' ? { category: resource.category } : {}),
      ...(p.gpc === true ? { gpc: true } : {}),
      action,
    });
  };

  /** Authorizes; a denial is logged and thrown. */
  const authorizeOrDeny = async (
    p: Principal,
    action: Action,
    resource: ResourceRef,
    label: string,
    purposeText: string,
  ): Promise<Decision> => {
    const consent = await consentOf(p, action, resource, purposeText);
    // The sign-in's risk reaches the policies; a fresh step-up (a passkey assertion recorded on the
    // session) is read only when the decision turns on it.
    let risk = p.role === 'player' ? p.risk : 0;
    const sensitive = SENSITIVE_OPERATIONS[action];
    const operationRisk =
      p.role === 'player' && sensitive !== undefined && o.sessions !== undefined
        ? o.sessions.scoreOperation(p.name, sensitive, p.context)
        : undefined;
    if (operationRisk !== undefined) risk = Math.max(risk, operationRisk);
    const context = { purpose: purposeText, consent: consent.consent, time: clock.now(), risk };
    let d = o.policies().authorize(cedarPrincipal(p), action, resource, context);
    if (!d.allowed && d.stepUpRequired && p.role === 'player' && (await o.sessions?.steppedUp(p.sessionId)))
      d = o.policies().authorize(cedarPrincipal(p), action, resource, { ...context, stepUp: true });
    if (!d.allowed) {
      await logDecision(p, action, label, purposeText, d, operationRisk);
      // Consent is named as the reason only when it decided: with it, the policies would allow.
      if (
        consent.consent === 'denied' &&
        d.reasons.includes(CONSENT_POLICY) &&
        o.policies().authorize(cedarPrincipal(p), action, resource, {
          purpose: purposeText,
          consent: 'granted',
          time: clock.now(),
        }).allowed
      )
        throw consentDenial(consent, purposeText);
      if (d.stepUpRequired)
        throw new VerityError(
          'VERITY_E_STEP_UP_REQUIRED',
          p.role === 'player' && operationRisk !== undefined && operationRisk > p.risk
            ? `this ${action} scored a high risk (a new device or address, or an unusual pace): step up with a passkey (POST /v1/passkeys/step-up), then retry`
            : 'this session signed in with a high risk score: step up with a passkey (POST /v1/passkeys/step-up), then retry',
        );
      throw new VerityError('VERITY_E_ACCESS_DENIED', denial(p, action, resource, purposeText));
    }
    await agreementGuard(p, action, resource, label, purposeText, d);
    return d;
  };

  /**
   * The agreements of a player with the caller's recipient address, read once (undefined when the
   * caller does not read under agreement). No chain, no recipient or no subject: no agreement.
   */
  const agreementsOf = async (
    p: Principal,
    subjectRef: string,
  ): Promise<{ decide(purpose: string, category: string): { allowed: boolean; reason: string } } | undefined> => {
    if (!underAgreement(p)) return undefined;
    const recipient = p.agreementRecipient;
    if (o.agreements === undefined || recipient === undefined || !SUBJECT_REF_RE.test(subjectRef))
      return { decide: () => ({ allowed: false, reason: 'no-agreement' }) };
    return o.agreements.view(subjectRef, recipient);
  };

  /**
   * After the policies allowed: a caller that reads under agreement needs an agreement indexed from
   * the chain covering this purpose and the record's category, read now from the authenticated
   * state (a revocation indexed since the last request refuses this one). A refusal is logged and
   * thrown as VERITY_E_AGREEMENT_REQUIRED; the reason, never an address or an agreement id, is logged.
   */
  const agreementGuard = async (
    p: Principal,
    action: Action,
    resource: ResourceRef,
    label: string,
    purposeText: string,
    d: Decision,
  ): Promise<void> => {
    if (!underAgreement(p)) return;
    const owner = resource.kind === 'record' || resource.kind === 'subject' ? resource.owner.id : '';
    const view = await agreementsOf(p, owner);
    const a = view?.decide(purposeText, resource.kind === 'record' ? resource.category : 'unclassified') ?? {
      allowed: false,
      reason: 'no-agreement',
    };
    // Only reads of a player's records are done under agreement; anything else such a token is
    // allowed by a policy someone added is refused here too (default deny).
    if (a.allowed && action === 'read' && resource.kind === 'record') return;
    await logOutcome(
      p,
      label,
      purposeText,
      'denied',
      { action, decision: 'deny', reasons: 'chain-agreement', agreement: a.reason },
      d.policyHash,
    );
    throw new VerityError(
      'VERITY_E_AGREEMENT_REQUIRED',
      o.agreements === undefined
        ? `the token of ${p.actor} reads only under data-sharing agreements, and this server follows no chain (start it with \`--chain\`)`
        : `the token of ${p.actor} reads only under data-sharing agreements, and none indexed from the chain between the record's subject and its recipient covers purpose \`${purposeText}\` and this record's category now (${a.reason})`,
      { details: { reason: a.reason } },
    );
  };

  /**
   * Authorizes, then logs the decision as its own entry. It is queued before the operation it
   * allows, so the log's FIFO group commit makes it durable no later than the operation; the
   * request answers only once both are.
   */
  const decide = async (
    p: Principal,
    action: Action,
    resource: ResourceRef,
    label: string,
    purposeText: string,
  ): Promise<{ logged: Promise<unknown> }> => {
    const d = await authorizeOrDeny(p, action, resource, label, purposeText);
    const logged = logDecision(p, action, label, purposeText, d);
    logged.catch(() => undefined);
    return { logged };
  };

  /**
   * Authorizes an operation whose own audit entries record the decision (they carry the policy
   * hash, see `Access.policy`), so an allowed request costs one log entry, not two. When the
   * operation fails after it was allowed, the decision is logged on its own: every decision, allow
   * or deny, reaches the log.
   */
  const decided = async <T>(
    p: Principal,
    action: Action,
    resource: ResourceRef,
    label: string,
    purposeText: string,
    op: (policy: string) => Promise<T>,
  ): Promise<T> => {
    const d = await authorizeOrDeny(p, action, resource, label, purposeText);
    try {
      return await op(d.policyHash);
    } catch (e) {
      // Refused by a rule of Verity's own after the policies allowed (a domain another service
      // made, a session's reach): the entry says denied, as auditors look for denials.
      if (isVerityError(e, 'VERITY_E_ACCESS_DENIED'))
        await logDecision(p, action, label, purposeText, { ...d, allowed: false, reasons: ['verity-rule'] });
      // Allowed, then refused for what was asked (a credential revoked already, evidence missing):
      // the entry says so, with the code, not `success` (D433).
      else if (isVerityError(e))
        await logOutcome(p, label, purposeText, 'error', { action, decision: 'allow', error: e.code }, d.policyHash);
      else await logDecision(p, action, label, purposeText, d);
      throw e;
    }
  };

  return {
    clock,
    ownerOf,
    authenticate,
    principalOf,
    logOutcome,
    logDecision,
    refuseWithout,
    logRuleDenial,
    refuseByRule,
    refuseNamespaced,
    authorizeOrDeny,
    consentOf,
    agreementsOf,
    decide,
    decided,
    cedarPrincipal,
  };
}

export type Gate = ReturnType<typeof makeGate>;
